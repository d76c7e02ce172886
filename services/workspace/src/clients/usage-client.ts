import { RpcError, requestRpc } from '@conduit/bus';
import { releaseUsage, reserveUsage } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { WorkspaceDeps } from '../deps.js';

/** Whose storage: a user's or a team's subscription. */
export type UsageSubject = { type: 'user' | 'team'; id: string };

/**
 * Reserves `megabytes` of storage_mb through identity's usage RPC. Failures arrive as domain
 * errors: limit_reached (402) when the plan has no storage, unavailable when identity cannot
 * answer. A refusal (`granted: false`) is answered, not thrown: the caller words it.
 */
export async function reserveStorageOf(deps: WorkspaceDeps, subject: UsageSubject, megabytes: number) {
  try {
    return await requestRpc(
      deps.bus,
      reserveUsage,
      { subject, items: [{ metric: 'storage_mb', amount: megabytes }] },
      { timeoutMs: deps.env.RPC_TIMEOUT },
    );
  } catch (error) {
    if (error instanceof RpcError && error.code === 'not_found')
      throw new DomainError('limit_reached', 'This plan does not include file storage.', {
        fields: { metric: 'storage_mb', remaining: 0, limit: 0, periodEnd: null },
      });
    if (error instanceof RpcError)
      throw new DomainError('unavailable', 'Storage usage cannot be checked right now; try again shortly.', {
        retryAfterSeconds: 5,
      });
    throw error;
  }
}

/** Gives back `megabytes` of storage_mb reserved for `periodEnd`; throws as the RPC does. */
export async function releaseStorageOf(
  deps: WorkspaceDeps,
  subject: UsageSubject,
  megabytes: number,
  periodEnd: string,
) {
  await requestRpc(
    deps.bus,
    releaseUsage,
    { subject, items: [{ metric: 'storage_mb', amount: megabytes }], periodEnd },
    { timeoutMs: deps.env.RPC_TIMEOUT },
  );
}
