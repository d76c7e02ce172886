import { defineJobs } from '@conduit/jobs';
import { z } from 'zod';

/** Identity's queue and its jobs; producers are checked against it, the worker parses on receipt. */
export const identityJobs = defineJobs('identity', {
  /** Starts the next period of subscriptions whose period has ended. Idempotent: retried freely. */
  'roll-usage-periods': { payload: z.object({}), attempts: 3, backoffMs: 5_000 },
});

/** The id of the job scheduler that runs `roll-usage-periods` (one, however many workers start). */
export const ROLL_USAGE_PERIODS_SCHEDULER = 'roll-usage-periods';
