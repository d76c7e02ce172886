import type { Database } from '@conduit/db';
import type { Producer } from '@conduit/jobs';
import type { Logger } from '@conduit/service-kit';
import { rollUsagePeriods } from '../../domain/usage/roll-usage-periods.js';
import { type identityJobs, ROLL_USAGE_PERIODS_SCHEDULER } from '../catalog.js';

/** The `roll-usage-periods` job: rolls every ended period and says how many it rolled. */
export async function rollUsagePeriodsJob(deps: { db: Database; log: Logger }): Promise<{ rolled: number }> {
  const rolled = await rollUsagePeriods(deps.db);
  deps.log.info({ rolled }, `rolled ${rolled} usage period(s)`);
  return { rolled };
}

/**
 * Creates or updates the job scheduler that enqueues `roll-usage-periods` on `pattern` (cron).
 * Upserting by a fixed id means every worker replica may call this at start: there is still one.
 */
export function scheduleUsageRoll(producer: Producer<typeof identityJobs>, pattern: string): Promise<void> {
  return producer.schedule(ROLL_USAGE_PERIODS_SCHEDULER, 'roll-usage-periods', {}, { pattern });
}
