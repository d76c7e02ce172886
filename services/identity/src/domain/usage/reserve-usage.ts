import type { UsageItem, UsageMetric } from '@conduit/contracts';
import { type Database, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { sql } from 'drizzle-orm';
import type { Subject } from '../subjects/subject.js';

export interface Reservation {
  subject: Subject;
  /** Each metric at most once (the contract checks it). */
  items: UsageItem[];
}

export interface ReservationResult {
  /** True when every amount was reserved; false when none was. */
  granted: boolean;
  /** When refused: the first metric, in the order asked, whose amount did not fit. */
  refused: UsageMetric | null;
  /**
   * For each metric asked, in that order: what is left of the quota (never below zero) and the
   * limit, both null when the plan does not limit the metric; for AI credits also the credit
   * balance beside the quota.
   */
  items: { metric: UsageMetric; remaining: number | null; limit: number | null; credits?: number }[];
  /** When the counters reset. */
  periodEnd: string;
  /** When the grant drew on the credit balance: the id its release names to give credits back. */
  reservationId?: string;
}

interface ReserveRow extends Record<string, unknown> {
  metric: UsageMetric;
  known: boolean;
  fits: boolean;
  granted: boolean;
  /** Both null when the plan does not limit the metric (`known` false). */
  remaining: string | null;
  limit: string | null;
  period_end_ms: number;
  from_credits: string;
  credits: string | null;
}

/**
 * Reserves every amount of a reservation for a user or team, or none, atomically: granted only
 * when each fits in what is left of this period, so no counter passes its limit however many
 * callers race, and a refusal changes nothing (the SQL function locks the counters in a fixed
 * order, decides and spends in one transaction; it also rolls a period that has ended). AI credits
 * come from the plan's quota first and then from the credit balance (drawn under its row lock and
 * written to the ledger under the reservation's id). No actor: this serves other services, and
 * the function is SECURITY DEFINER.
 *
 * A metric the plan does not limit is granted (its line says null), beside the limited ones: a
 * per-period metric is then counted nowhere, while a gauge (storage_mb) is counted on any plan.
 * Throws not_found when the subject has no subscription: every user and team gets one when
 * created, so identity does not know that subject, and callers refuse it.
 */
export async function reserveUsage(db: Database, reservation: Reservation): Promise<ReservationResult> {
  const { subject, items } = reservation;
  const reservationId = uuidv7();
  const rows = await db.execute<ReserveRow>(sql`
    select metric, known, fits, granted, remaining, "limit",
           (extract(epoch from period_end) * 1000)::float8 as period_end_ms, from_credits, credits
    from identity.reserve_usage(${subject.type}, ${subject.id}::uuid, ${JSON.stringify(items)}::jsonb,
                                ${reservationId}::uuid)`);
  if (rows.length === 0) throw new DomainError('not_found', 'no subscription for that subject');
  const byMetric = new Map(rows.map((row) => [row.metric, row]));
  const answers = items.map((item) => byMetric.get(item.metric)!);
  const granted = answers.every((row) => row.granted);
  return {
    granted,
    refused: granted ? null : (answers.find((row) => !row.fits)?.metric ?? null),
    items: answers.map((row) => ({
      metric: row.metric,
      remaining: row.known ? Math.max(0, Number(row.remaining)) : null,
      limit: row.known ? Number(row.limit) : null,
      ...(row.credits === null ? {} : { credits: Number(row.credits) }),
    })),
    periodEnd: new Date(answers[0]!.period_end_ms).toISOString(),
    ...(answers.some((row) => Number(row.from_credits) > 0) ? { reservationId } : {}),
  };
}
