import type { Database } from '@conduit/db';
import { DomainError } from '@conduit/service-kit';
import { sql } from 'drizzle-orm';
import type { Subject } from './subscription-view.js';

export interface Reservation {
  subject: Subject;
  metric: string;
  amount: number;
}

export interface ReservationResult {
  granted: boolean;
  /** What is left of the limit after this reservation (never below zero). */
  remaining: number;
  limit: number;
  /** When the counters reset. */
  periodEnd: string | null;
}

interface ReserveRow extends Record<string, unknown> {
  found: boolean;
  granted: boolean;
  remaining: string;
  limit: string;
  period_end_ms: number | null;
}

/**
 * Reserves `amount` of a metric for a user or team, atomically: granted only if it fits in what
 * is left of this period, so the counter never passes its limit however many callers race (the
 * SQL function does the conditional update; it also rolls a period that has ended). A refusal
 * changes nothing. No actor: this serves other services, and the function is SECURITY DEFINER.
 *
 * Throws not_found when the subject has no subscription, or its plan does not limit the metric.
 */
export async function reserveUsage(db: Database, reservation: Reservation): Promise<ReservationResult> {
  const { subject, metric, amount } = reservation;
  const [row] = await db.execute<ReserveRow>(sql`
    select found, granted, remaining, "limit", (extract(epoch from period_end) * 1000)::float8 as period_end_ms
    from identity.reserve_usage(${subject.type}, ${subject.id}::uuid, ${metric}, ${amount}::bigint)`);
  if (!row?.found) {
    throw row?.period_end_ms == null
      ? new DomainError('not_found', 'no subscription for that subject')
      : new DomainError('not_found', `the plan of that subject does not limit ${metric}`);
  }
  return {
    granted: row.granted,
    remaining: Math.max(0, Number(row.remaining)),
    limit: Number(row.limit),
    periodEnd: row.period_end_ms == null ? null : new Date(row.period_end_ms).toISOString(),
  };
}
