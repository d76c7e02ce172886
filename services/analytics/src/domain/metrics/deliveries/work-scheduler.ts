import type { Producer } from '@conduit/jobs';
import type { AnalyticsJobs } from '../../../jobs/catalog.js';

export type WorkNoun = 'report' | 'alert';

/** The queue's job scheduler of a report (`report:<id>`) or an alert (`alert:<id>`). */
export const workSchedulerId = (noun: WorkNoun, id: string) => `${noun}:${id}`;

/**
 * Makes the queue's job scheduler match the work: one while it is enabled, none otherwise. A
 * BullMQ job scheduler adds one job per tick however many workers run; the run's unique
 * (work, tick) row stops a tick from running twice should a job be added twice.
 */
export async function syncWorkScheduler(
  jobs: Producer<AnalyticsJobs>,
  noun: WorkNoun,
  work: { id: string; enabled: boolean; teamId?: string; schedule?: string; timeZone?: string },
) {
  const id = workSchedulerId(noun, work.id);
  if (!work.enabled || !work.teamId || !work.schedule) return jobs.unschedule(id);
  const repeat = { pattern: work.schedule, tz: work.timeZone ?? 'UTC' };
  if (noun === 'report')
    await jobs.schedule(id, 'run-report', { reportId: work.id, teamId: work.teamId }, repeat);
  else await jobs.schedule(id, 'evaluate-alert', { alertId: work.id, teamId: work.teamId }, repeat);
}

/**
 * Queues one run of the work for `tickAt`, outside its schedule (paused work too): a report's
 * "send now" (recorded as manual), an alert's "test" (a sample, no change of state). Its job id
 * holds the instant, so a double click within the millisecond queues one.
 */
export async function queueRunNow(
  jobs: Producer<AnalyticsJobs>,
  noun: WorkNoun,
  work: { id: string; teamId: string },
  tickAt: string,
) {
  const at = Date.parse(tickAt);
  if (noun === 'report')
    await jobs.add(
      'run-report',
      { reportId: work.id, teamId: work.teamId, tickAt },
      { jobId: `report-now:${work.id}:${at}` },
    );
  else
    await jobs.add(
      'evaluate-alert',
      { alertId: work.id, teamId: work.teamId, tickAt, test: true },
      { jobId: `alert-test:${work.id}:${at}` },
    );
}
