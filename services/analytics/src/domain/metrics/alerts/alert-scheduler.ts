import type { Producer } from '@conduit/jobs';
import type { AnalyticsJobs } from '../../../jobs/catalog.js';
import type { AlertRow } from './alert-dto.js';

export const alertSchedulerId = (alertId: string) => `alert:${alertId}`;

/** One job scheduler per enabled alert, none for a paused one (see syncReportScheduler). */
export async function syncAlertScheduler(jobs: Producer<AnalyticsJobs>, alert: AlertRow) {
  if (!alert.enabled) return jobs.unschedule(alertSchedulerId(alert.id));
  await jobs.schedule(
    alertSchedulerId(alert.id),
    'evaluate-alert',
    { alertId: alert.id, teamId: alert.teamId },
    { pattern: alert.schedule, tz: alert.timeZone },
  );
}
