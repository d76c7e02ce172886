import type { Database } from '@conduit/db';
import { sql } from 'drizzle-orm';
import type { Subject } from './subscription-view.js';

export interface Release {
  subject: Subject;
  metric: string;
  amount: number;
  /** The period of the reservation being given back, as its answer said. */
  periodEnd: string;
}

/**
 * Gives back usage a granted reservation did not use, in the reservation's period only and never
 * below zero (the SQL function decides, under the counter's row lock). Answers how much was given
 * back: 0 when the period has rolled or the subject has no such counter. No actor, as reserveUsage.
 */
export async function releaseUsage(db: Database, release: Release): Promise<{ released: number }> {
  const { subject, metric, amount, periodEnd } = release;
  const [row] = await db.execute<{ released: string }>(sql`
    select identity.release_usage(${subject.type}, ${subject.id}::uuid, ${metric}, ${amount}::bigint,
                                  ${periodEnd}::timestamptz) as released`);
  return { released: Number(row?.released ?? 0) };
}
