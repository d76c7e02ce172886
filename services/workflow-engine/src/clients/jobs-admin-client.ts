import { RpcError, requestRpc } from '@conduit/bus';
import { jobsAdminRpc } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { WorkflowDeps } from '../deps.js';

/** A service's queue counts and failed jobs (rpc.<service>.jobs.admin), or null when it does not answer. */
export async function jobsOf(deps: WorkflowDeps, service: string, limit: number) {
  try {
    return await requestRpc(
      deps.bus,
      jobsAdminRpc(service),
      { op: 'list', limit },
      { timeoutMs: deps.env.RPC_TIMEOUT },
    );
  } catch (error) {
    if (!(error instanceof RpcError)) throw error;
    return null;
  }
}

/**
 * Asks `service` to retry or discard one of its failed jobs. Throws not_found for a failed job it
 * does not keep, unavailable when it does not answer.
 */
export async function settleJobOf(
  deps: WorkflowDeps,
  service: string,
  failedJobId: string,
  op: 'retry' | 'discard',
) {
  try {
    return await requestRpc(
      deps.bus,
      jobsAdminRpc(service),
      { op, failedJobId },
      { timeoutMs: deps.env.RPC_TIMEOUT },
    );
  } catch (error) {
    if (error instanceof RpcError && error.code === 'not_found')
      throw new DomainError('not_found', 'No such failed job.');
    if (error instanceof RpcError)
      throw new DomainError('unavailable', `${service} does not answer right now; try again shortly.`, {
        retryAfterSeconds: 5,
      });
    throw error;
  }
}
