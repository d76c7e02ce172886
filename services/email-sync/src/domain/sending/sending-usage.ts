import { isUnlimited, refusedLine, releaseUsageOf, reserveUsageOf, type UsageAnswer } from '@conduit/bus';
import { DomainError } from '@conduit/errors';
import { loggableError } from '@conduit/service-kit';
import type { MailDeps } from '../../deps.js';

/**
 * Mail a user causes (an API send, a draft, a template, a bot's SEND MAIL, a report) is paid from
 * the `emails_sent` of its team, else its owner, one per recipient: an SMTP provider counts each
 * recipient as one mail, and a limit a message with 100 Bcc counted once would not limit much.
 * The platform's own mail (identity's resets, sign-in links, invites) is charged to nobody: a user
 * who used up their mail must still be able to sign in.
 */
export type MailPayer = { type: 'user' | 'team'; id: string };

export const mailPayerOf = (owner: { userId: string; teamId: string | null }): MailPayer =>
  owner.teamId ? { type: 'team', id: owner.teamId } : { type: 'user', id: owner.userId };

/** A granted reservation of emails_sent, as its release must name it. */
export interface SendingCharge {
  subject: MailPayer;
  amount: number;
  periodEnd: Date;
}

/** What identity answered when the mail did not fit. */
export interface SendingRefusal {
  amount: number;
  remaining: number;
  limit: number;
  /** Null when the payer has no subscription: nothing is included, in no period. */
  periodEnd: string | null;
  /** The refusal in words when it is not a used-up period (no subscription). */
  reason?: string;
}

export type SendingReservation = { charge: SendingCharge | null } | { refused: SendingRefusal };

/**
 * Reserves `amount` emails_sent of the payer before a send is accepted. Answers the charge, or
 * `charge: null` when the payer's plan does not limit sending (a plan without emails_sent), or
 * the refusal with what is left, also when identity knows no subscription of the payer (nothing
 * included: answered, not thrown, so an event consumer records it as it records a used-up plan).
 * Throws unavailable (503, retry after 5 s) when identity cannot answer: nothing is sent
 * unchecked.
 */
export async function reserveSending(
  deps: Pick<MailDeps, 'bus' | 'env'>,
  payer: MailPayer,
  amount: number,
): Promise<SendingReservation> {
  let answer: UsageAnswer;
  try {
    answer = await reserveUsageOf(deps.bus, payer, [{ metric: 'emails_sent', amount }], {
      notIncluded: "This sender's plan does not include sending mail.",
      unavailable: 'Mail usage cannot be checked right now; please try again shortly.',
      timeoutMs: deps.env.RPC_TIMEOUT,
    });
  } catch (error) {
    if (error instanceof DomainError && error.code === 'limit_reached')
      return { refused: { amount, remaining: 0, limit: 0, periodEnd: null, reason: error.detail } };
    throw error;
  }
  if (answer.granted && isUnlimited(answer.items[0]!)) return { charge: null };
  if (answer.granted) return { charge: { subject: payer, amount, periodEnd: new Date(answer.periodEnd) } };
  const { remaining, limit } = refusedLine(answer);
  return { refused: { amount, remaining, limit, periodEnd: answer.periodEnd } };
}

/** Why a refused send was not accepted, in words (an outbound row's last error, a 402's title). */
export const refusalReason = (refusal: SendingRefusal) =>
  refusal.reason ??
  `The plan's mail for this period is used up: ${refusal.remaining} of ${refusal.limit} emails left, this message needs ${refusal.amount} (one per recipient).`;

/** The 402 problem of a refused send, with what is left (as the workflow engine's limit_reached). */
export const limitReached = (refusal: SendingRefusal) =>
  new DomainError('limit_reached', refusalReason(refusal), {
    fields: {
      metric: 'emails_sent',
      remaining: refusal.remaining,
      limit: refusal.limit,
      periodEnd: refusal.periodEnd,
    },
  });

/**
 * Gives a reservation back (a send that failed for good, was canceled, or whose request did not
 * commit). Best effort: identity gives back only within the reservation's period, and a failure
 * here is logged, never thrown, since what it settles has already happened.
 */
export async function releaseSending(
  deps: Pick<MailDeps, 'bus' | 'env' | 'log'>,
  charge: SendingCharge,
): Promise<void> {
  try {
    await releaseUsageOf(
      deps.bus,
      charge.subject,
      [{ metric: 'emails_sent', amount: charge.amount }],
      { periodEnd: charge.periodEnd.toISOString() },
      { timeoutMs: deps.env.RPC_TIMEOUT },
    );
  } catch (error) {
    deps.log.warn(
      { err: loggableError(error), subject: charge.subject, amount: charge.amount },
      'could not give back reserved emails_sent',
    );
  }
}

/**
 * Runs `work` (a request's transaction) with a list it adds its charges to: when `work` throws,
 * the transaction did not commit, so whatever it reserved is given back before the error goes on.
 */
export async function releasingOnFailure<T>(
  deps: Pick<MailDeps, 'bus' | 'env' | 'log'>,
  work: (charges: SendingCharge[]) => Promise<T>,
): Promise<T> {
  const charges: SendingCharge[] = [];
  try {
    return await work(charges);
  } catch (error) {
    for (const charge of charges) await releaseSending(deps, charge);
    throw error;
  }
}

/** The charge an outbound row holds, when it holds one not yet given back. */
export function chargeOf(row: {
  usageSubjectType: 'user' | 'team' | null;
  usageSubjectId: string | null;
  usageAmount: number | null;
  usagePeriodEnd: Date | null;
  usageReleasedAt: Date | null;
}): SendingCharge | null {
  if (!row.usageSubjectType || !row.usageSubjectId || !row.usageAmount || !row.usagePeriodEnd) return null;
  if (row.usageReleasedAt) return null;
  return {
    subject: { type: row.usageSubjectType, id: row.usageSubjectId },
    amount: row.usageAmount,
    periodEnd: row.usagePeriodEnd,
  };
}
