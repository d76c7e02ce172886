import type { UsageItem, UsageMetric } from '@conduit/contracts';
import { type Database, uuidv7 } from '@conduit/db';
import { sql } from 'drizzle-orm';
import type { Subject } from '../subjects/subject.js';

export interface Release {
  subject: Subject;
  /** Each metric at most once (the contract checks it). */
  items: UsageItem[];
  /** The period of the reservation being given back, as its answer said. */
  periodEnd: string;
  /** The reservation's id, when its grant drew on the credit balance. */
  reservationId?: string | undefined;
}

/**
 * Gives back, in one transaction, usage a granted reservation did not use: in the reservation's
 * period only and never below zero (the SQL function decides, under the counters' row locks).
 * Answers how much of each metric was given back, in the order asked: 0 when the period has
 * rolled or the subject has no such counter. With the reservation's id, AI credits go back to the
 * credit balance first, up to what the reservation drew from it (in any period: the balance does
 * not roll), recorded in the ledger. No actor, as reserveUsage.
 */
export async function releaseUsage(
  db: Database,
  release: Release,
): Promise<{ items: { metric: UsageMetric; released: number; toCredits?: number }[] }> {
  const { subject, items, periodEnd, reservationId } = release;
  const rows = await db.execute<{ metric: UsageMetric; released: string; to_credits: string }>(sql`
    select metric, released, to_credits
    from identity.release_usage(${subject.type}, ${subject.id}::uuid, ${JSON.stringify(items)}::jsonb,
                                ${periodEnd}::timestamptz, ${reservationId ?? null}::uuid, ${uuidv7()}::uuid)`);
  const byMetric = new Map(rows.map((row) => [row.metric, row]));
  return {
    items: items.map(({ metric }) => {
      const row = byMetric.get(metric);
      const toCredits = Number(row?.to_credits ?? 0);
      return { metric, released: Number(row?.released ?? 0), ...(toCredits > 0 ? { toCredits } : {}) };
    }),
  };
}
