import { RpcError, requestRpc } from '@conduit/bus';
import { releaseUsage, reserveUsage } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { MailDeps } from '../deps.js';

/** Whose mail: a user's or a team's subscription. */
export type UsageSubject = { type: 'user' | 'team'; id: string };

/**
 * Reserves `amount` emails_sent of `subject` through identity's usage RPC. Answers null when the
 * plan does not limit sending (identity answers not_found: no subscription, or a plan without
 * emails_sent); throws unavailable (503, retry after 5 s) when identity cannot answer. A refusal
 * (`granted: false`) is answered, not thrown: the caller words it.
 */
export async function reserveEmailsOf(
  deps: Pick<MailDeps, 'bus' | 'env'>,
  subject: UsageSubject,
  amount: number,
) {
  try {
    return await requestRpc(
      deps.bus,
      reserveUsage,
      { subject, items: [{ metric: 'emails_sent', amount }] },
      { timeoutMs: deps.env.RPC_TIMEOUT },
    );
  } catch (error) {
    if (error instanceof RpcError && error.code === 'not_found') return null;
    if (error instanceof RpcError)
      throw new DomainError(
        'unavailable',
        'Mail usage cannot be checked right now; please try again shortly.',
        {
          retryAfterSeconds: 5,
        },
      );
    throw error;
  }
}

/** Gives back `amount` emails_sent reserved for the period ending `periodEnd`; throws as the RPC does. */
export async function releaseEmailsOf(
  deps: Pick<MailDeps, 'bus' | 'env'>,
  subject: UsageSubject,
  amount: number,
  periodEnd: Date,
) {
  await requestRpc(
    deps.bus,
    releaseUsage,
    { subject, items: [{ metric: 'emails_sent', amount }], periodEnd: periodEnd.toISOString() },
    { timeoutMs: deps.env.RPC_TIMEOUT },
  );
}
