import { isCounted, refusedLine, releaseUsageOf, reserveUsageOf } from '@conduit/bus';
import { DomainError } from '@conduit/errors';
import type { WorkspaceDeps } from '../../deps.js';

export type Payer = { type: 'user' | 'team'; id: string };

/** Who pays for a file's storage: its team, else its owner. */
export const payerOf = (owner: { ownerUserId: string; teamId: string | null }): Payer =>
  owner.teamId ? { type: 'team', id: owner.teamId } : { type: 'user', id: owner.ownerUserId };

const MIB = 1024 * 1024;

/** A plan's storage_mb counts mebibytes, each file rounded up (an empty file counts nothing). */
export const megabytesOf = (bytes: number) => Math.ceil(bytes / MIB);

/** A granted reservation; `periodEnd` is what a release of it must name. */
export interface StorageReservation {
  megabytes: number;
  periodEnd: string | null;
}

/**
 * Reserves `megabytes` of the payer's storage_mb before any byte is stored. Identity counts
 * storage on every plan (a plan that does not limit it lets it through, counted all the same), so
 * a granted reservation is always given back when its file goes. Throws
 * limit_reached (402, with what is left) when it does not fit or identity knows no subscription
 * of the payer, unavailable when identity cannot answer (nothing is stored unchecked).
 */
export async function reserveStorage(
  deps: WorkspaceDeps,
  payer: Payer,
  megabytes: number,
): Promise<StorageReservation> {
  if (megabytes === 0) return { megabytes, periodEnd: null };
  const answer = await reserveUsageOf(deps.bus, payer, [{ metric: 'storage_mb', amount: megabytes }], {
    notIncluded: 'This plan does not include file storage.',
    unavailable: 'Storage usage cannot be checked right now; try again shortly.',
    timeoutMs: deps.env.RPC_TIMEOUT,
  });
  if (!answer.granted) {
    const { remaining, limit } = refusedLine(answer);
    throw new DomainError(
      'limit_reached',
      `The storage of this plan is used up (${remaining} MB left of ${limit}, this file needs up to ${megabytes}).`,
      { fields: { metric: 'storage_mb', remaining, limit, periodEnd: answer.periodEnd } },
    );
  }
  return { megabytes, periodEnd: isCounted(answer.items[0]!) ? answer.periodEnd : null };
}

/**
 * Gives back `megabytes` of a reservation (a failed upload, a file smaller than announced, a
 * deleted file). storage_mb is a gauge of what is kept, never rolled with the period, so a file
 * deleted months after its upload still frees its space (`periodEnd` only names the reservation).
 * Best effort: a failure is logged, never thrown, since what it settles has already happened.
 */
export async function releaseStorage(
  deps: WorkspaceDeps,
  payer: Payer,
  megabytes: number,
  periodEnd: string | null,
): Promise<void> {
  if (megabytes <= 0 || periodEnd === null) return;
  try {
    await releaseUsageOf(
      deps.bus,
      payer,
      [{ metric: 'storage_mb', amount: megabytes }],
      { periodEnd },
      {
        timeoutMs: deps.env.RPC_TIMEOUT,
      },
    );
  } catch (error) {
    deps.log.warn({ err: error, payer, megabytes }, 'storage usage could not be given back');
  }
}
