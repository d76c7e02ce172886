import type { Database } from '@conduit/db';
import { sql } from 'drizzle-orm';

/**
 * Starts the next monthly period of every subscription whose period has ended, zeroing its
 * counters; returns how many were rolled. Safe to run concurrently (rows being rolled by another
 * run are skipped) and any number of times. Reservations also roll their own subscription, so
 * this only keeps idle subscriptions' periods (and what GET shows) current.
 */
export async function rollUsagePeriods(db: Database): Promise<number> {
  const [row] = await db.execute<{ rolled: number }>(sql`select identity.roll_usage_periods() as rolled`);
  return Number(row?.rolled ?? 0);
}
