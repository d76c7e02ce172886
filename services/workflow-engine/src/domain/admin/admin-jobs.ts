import { RpcError, requestRpc } from '@conduit/bus';
import { type Actor, jobsAdminRpc } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { WorkflowDeps } from '../../deps.js';

/**
 * The platform admins' view of every service's background work: each service's queue counts and
 * the failed jobs in its own failed_jobs, asked of the service itself (rpc.<service>.jobs.admin):
 * no service reads another's schema, so this only gathers. A service that does not answer is
 * listed as unavailable, not left out.
 */

const onlyPlatformAdmins = (actor: Actor) => {
  if (!actor.platformAdmin) throw new DomainError('forbidden', 'Only platform admins see the job queues.');
};

export async function listAdminJobs(deps: WorkflowDeps, actor: Actor, query: { limit: number }) {
  onlyPlatformAdmins(actor);
  const services = await Promise.all(
    deps.env.JOBS_ADMIN_SERVICES.map(async (service) => {
      try {
        const answer = await requestRpc(
          deps.bus,
          jobsAdminRpc(service),
          { op: 'list', limit: query.limit },
          {
            timeoutMs: deps.env.RPC_TIMEOUT,
          },
        );
        return { service, available: true, ...answer };
      } catch (error) {
        if (!(error instanceof RpcError)) throw error;
        return { service, available: false, queue: null, counts: null, failed: [] };
      }
    }),
  );
  return { services };
}

/**
 * Retries (queues again) or discards one failed job of a service. Throws forbidden for anyone but
 * a platform admin, not_found for a service not listed or a failed job it does not keep,
 * unavailable when the service does not answer.
 */
export async function settleFailedJob(
  deps: WorkflowDeps,
  actor: Actor,
  service: string,
  failedJobId: string,
  op: 'retry' | 'discard',
) {
  onlyPlatformAdmins(actor);
  if (!deps.env.JOBS_ADMIN_SERVICES.includes(service)) throw new DomainError('not_found', 'No such service.');
  try {
    const answer = await requestRpc(
      deps.bus,
      jobsAdminRpc(service),
      { op, failedJobId },
      { timeoutMs: deps.env.RPC_TIMEOUT },
    );
    return { service, available: true, ...answer };
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
