import { defineJobs } from '@conduit/jobs';
import { z } from 'zod';

/** Analytics' queue: upkeep of the event table, on job schedulers (see service.ts). */
export const analyticsJobs = defineJobs('analytics', {
  /** Creates the monthly partitions of the event table ahead of time. */
  'ensure-partitions': { payload: z.object({}), attempts: 3, backoffMs: 10_000 },
  /** Removes events (and counters) older than their retention windows. */
  'prune-events': { payload: z.object({}), attempts: 3, backoffMs: 60_000 },
});

export type AnalyticsJobs = typeof analyticsJobs;
