import { defineJobs } from '@conduit/jobs';
import { z } from 'zod';

/**
 * Analytics' queue: upkeep of the event table, and the metrics layer's scheduled reports and
 * alerts, on job schedulers (see service.ts and the reports' and alerts' schedulers). Payloads
 * are ids; a run's tick is its scheduler's (or `tickAt` for "send now" and "test").
 */
export const analyticsJobs = defineJobs('analytics', {
  /** Creates the monthly partitions of the event table ahead of time. */
  'ensure-partitions': { payload: z.object({}), attempts: 3, backoffMs: 10_000 },
  /** Removes events (and counters) older than their retention windows. */
  'prune-events': { payload: z.object({}), attempts: 3, backoffMs: 60_000 },
  /** One tick of a report: run, format, deliver; a failed delivery is tried again. */
  'run-report': {
    payload: z.object({ reportId: z.uuid(), teamId: z.uuid(), tickAt: z.iso.datetime().optional() }),
    attempts: 3,
    backoffMs: 1_000,
  },
  /** One tick of an alert (or its "test"): evaluate, change state, deliver what the change says. */
  'evaluate-alert': {
    payload: z.object({
      alertId: z.uuid(),
      teamId: z.uuid(),
      tickAt: z.iso.datetime().optional(),
      test: z.boolean().optional(),
    }),
    attempts: 3,
    backoffMs: 1_000,
  },
});

export type AnalyticsJobs = typeof analyticsJobs;
