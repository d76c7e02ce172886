import { withoutActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import type { AnalyticsDeps } from '../../deps.js';

/**
 * Creates the monthly partitions of the event table from last month to PARTITION_MONTHS_AHEAD
 * ahead that are missing; answers how many it made. Idempotent.
 */
export async function ensurePartitions(deps: Pick<AnalyticsDeps, 'db' | 'env'>): Promise<number> {
  const rows = await withoutActor(deps.db, (tx) =>
    tx.execute<{ made: number }>(
      sql`select analytics.ensure_partitions(${deps.env.PARTITION_MONTHS_AHEAD}::integer) as made`,
    ),
  );
  return Number(rows[0]?.made ?? 0);
}

/**
 * Removes events older than EVENT_RETENTION (whole monthly partitions at once) and counters older
 * than ROLLUP_RETENTION; answers how many events went. Counters outlive the events they count, so
 * long-range series stay available after the raw log is gone.
 */
export async function pruneEvents(
  deps: Pick<AnalyticsDeps, 'db' | 'env'>,
  now = new Date(),
): Promise<number> {
  const eventsBefore = new Date(now.getTime() - deps.env.EVENT_RETENTION).toISOString();
  const rollupsBefore = new Date(now.getTime() - deps.env.ROLLUP_RETENTION).toISOString();
  const rows = await withoutActor(deps.db, (tx) =>
    tx.execute<{ removed: string }>(
      sql`select analytics.prune(${eventsBefore}::timestamptz, ${rollupsBefore}::timestamptz) as removed`,
    ),
  );
  return Number(rows[0]?.removed ?? 0);
}
