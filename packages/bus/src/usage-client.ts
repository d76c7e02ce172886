import {
  isGaugeMetric,
  releaseUsage,
  reserveUsage,
  type UsageItem,
  type UsageMetric,
  type usageSubject,
} from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { z } from 'zod';
import type { Bus } from './connection.js';
import { RpcError, requestRpc } from './rpc.js';

/** Whose usage: a user's or a team's subscription. */
export type UsageSubject = z.infer<typeof usageSubject>;

/** What a service says in its own words when identity's usage cannot grant a piece of work. */
export interface UsageWording {
  /** The 402 detail for a payer identity has no subscription for: nothing is included. */
  notIncluded: string;
  /** The 503 detail when identity cannot answer. */
  unavailable?: string;
  timeoutMs: number;
}

export type UsageAnswer = z.output<typeof reserveUsage.response>;
export type UsageLine = UsageAnswer['items'][number];

/**
 * Reserves `items` of `subject` through identity's usage RPC, all or none, for every service that
 * does work a plan pays for. The answer is identity's: granted, or refused with what is left (the
 * caller words a refusal; `refusedLine` gives its numbers). A metric the plan does not limit is
 * granted with `limit` null (`isUnlimited`), counted only if it is a gauge (storage_mb, counted on
 * every plan): `isCounted` says what a release must give back. Throws limit_reached
 * (402, `notIncluded`, nothing left) when identity knows no subscription of the subject, and
 * unavailable (503, retry after 5 s) when identity cannot answer: no work is done unchecked.
 */
export async function reserveUsageOf(
  bus: Bus,
  subject: UsageSubject,
  items: UsageItem[],
  wording: UsageWording,
): Promise<UsageAnswer> {
  try {
    return await requestRpc(bus, reserveUsage, { subject, items }, { timeoutMs: wording.timeoutMs });
  } catch (error) {
    if (error instanceof RpcError && error.code === 'not_found')
      throw new DomainError('limit_reached', wording.notIncluded, {
        fields: { metric: items[0]!.metric, remaining: 0, limit: 0, periodEnd: null },
      });
    if (error instanceof RpcError)
      throw new DomainError(
        'unavailable',
        wording.unavailable ?? 'Usage cannot be checked right now; please try again shortly.',
        { retryAfterSeconds: 5 },
      );
    throw error;
  }
}

/** True when the plan does not limit the line's metric (its `remaining` and `limit` are null). */
export const isUnlimited = (line: UsageLine) => line.limit === null;

/**
 * True when a grant counted the line's amount, so that a release must give it back: a metric the
 * plan limits, or a gauge (storage_mb) on any plan. A per-period metric the plan does not limit
 * was counted nowhere.
 */
export const isCounted = (line: UsageLine) => !isUnlimited(line) || isGaugeMetric(line.metric);

/**
 * The line of a refused answer's metric that did not fit (else of `metric`, else the first), with
 * its numbers: a metric that refuses is always one the plan limits.
 */
export function refusedLine(
  answer: UsageAnswer,
  metric?: UsageMetric,
): { metric: UsageMetric; remaining: number; limit: number; credits?: number } {
  const line =
    answer.items.find((item) => item.metric === answer.refused) ??
    answer.items.find((item) => item.metric === metric) ??
    answer.items[0]!;
  return {
    metric: line.metric,
    remaining: line.remaining ?? 0,
    limit: line.limit ?? 0,
    ...(line.credits === undefined ? {} : { credits: line.credits }),
  };
}

/**
 * Gives back `items` of a granted reservation, within its period (`periodEnd` of its answer;
 * storage_mb in any period), its bought AI credits first when it names the reservation's id.
 * Throws as the RPC does: callers settle on a best-effort basis and log.
 */
export async function releaseUsageOf(
  bus: Bus,
  subject: UsageSubject,
  items: UsageItem[],
  reservation: { periodEnd: string; reservationId?: string | undefined },
  options: { timeoutMs: number },
) {
  return requestRpc(
    bus,
    releaseUsage,
    { subject, items, periodEnd: reservation.periodEnd, reservationId: reservation.reservationId },
    { timeoutMs: options.timeoutMs },
  );
}
