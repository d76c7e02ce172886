import type { Producer } from '@conduit/jobs';
import type { AnalyticsJobs } from '../../../jobs/catalog.js';
import type { ReportRow } from './report-dto.js';

export const reportSchedulerId = (reportId: string) => `report:${reportId}`;

/**
 * Makes the queue's job scheduler match a report: one while it is enabled, none otherwise. A
 * BullMQ job scheduler adds one job per tick however many workers run; the run's unique
 * (report, tick) row stops a tick from running twice should a job be added twice.
 */
export async function syncReportScheduler(jobs: Producer<AnalyticsJobs>, report: ReportRow) {
  if (!report.enabled) return jobs.unschedule(reportSchedulerId(report.id));
  await jobs.schedule(
    reportSchedulerId(report.id),
    'run-report',
    { reportId: report.id, teamId: report.teamId },
    { pattern: report.schedule, tz: report.timeZone },
  );
}
