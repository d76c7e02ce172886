import { RpcError, requestRpc } from '@conduit/bus';
import { releaseUsage, reserveUsage, type UsageItem, type usageSubject } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { z } from 'zod';
import type { ConversationDeps } from '../deps.js';

/** Whose usage: a user's or a team's subscription. */
export type UsageSubject = z.infer<typeof usageSubject>;

/**
 * Identity's usage RPCs as conversation calls them: several metrics reserved in one request
 * (granted all or none) and given back in one. Failures of the reservation arrive as the domain
 * errors a reply answers with: limit_reached (`notIncluded`) when the plan has no such metric,
 * unavailable when identity cannot answer.
 */
export async function reserveUsageOf(
  deps: ConversationDeps,
  subject: UsageSubject,
  items: UsageItem[],
  notIncluded = "This bot's plan does not include bot replies.",
) {
  try {
    return await requestRpc(deps.bus, reserveUsage, { subject, items }, { timeoutMs: deps.env.RPC_TIMEOUT });
  } catch (error) {
    if (error instanceof RpcError && error.code === 'not_found')
      throw new DomainError('limit_reached', notIncluded, {
        fields: { remaining: 0, limit: 0, periodEnd: null },
      });
    if (error instanceof RpcError)
      throw new DomainError('unavailable', 'Usage cannot be checked right now; please try again shortly.', {
        retryAfterSeconds: 5,
      });
    throw error;
  }
}

export type UsageReservation = Awaited<ReturnType<typeof reserveUsageOf>>;

/** Gives back `items` of a reservation (its id first draws back from bought credits); throws as the RPC does. */
export async function releaseUsageOf(
  deps: ConversationDeps,
  subject: UsageSubject,
  items: UsageItem[],
  reservation: Pick<UsageReservation, 'periodEnd' | 'reservationId'>,
) {
  await requestRpc(
    deps.bus,
    releaseUsage,
    { subject, items, periodEnd: reservation.periodEnd, reservationId: reservation.reservationId },
    { timeoutMs: deps.env.RPC_TIMEOUT },
  );
}
