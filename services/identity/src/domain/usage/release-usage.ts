import type { UsageItem, UsageMetric } from '@conduit/contracts';
import type { Database } from '@conduit/db';
import { sql } from 'drizzle-orm';
import type { Subject } from './subscription-view.js';

export interface Release {
  subject: Subject;
  /** Each metric at most once (the contract checks it). */
  items: UsageItem[];
  /** The period of the reservation being given back, as its answer said. */
  periodEnd: string;
}

/**
 * Gives back, in one transaction, usage a granted reservation did not use: in the reservation's
 * period only and never below zero (the SQL function decides, under the counters' row locks).
 * Answers how much of each metric was given back, in the order asked: 0 when the period has
 * rolled or the subject has no such counter. No actor, as reserveUsage.
 */
export async function releaseUsage(
  db: Database,
  release: Release,
): Promise<{ items: { metric: UsageMetric; released: number }[] }> {
  const { subject, items, periodEnd } = release;
  const rows = await db.execute<{ metric: UsageMetric; released: string }>(sql`
    select metric, released
    from identity.release_usage(${subject.type}, ${subject.id}::uuid, ${JSON.stringify(items)}::jsonb,
                                ${periodEnd}::timestamptz)`);
  const released = new Map(rows.map((row) => [row.metric, Number(row.released)]));
  return { items: items.map(({ metric }) => ({ metric, released: released.get(metric) ?? 0 })) };
}
