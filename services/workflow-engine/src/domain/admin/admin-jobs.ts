import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { jobsOf, settleJobOf } from '../../clients/jobs-admin-client.js';
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
      const answer = await jobsOf(deps, service, query.limit);
      return answer
        ? { service, available: true, ...answer }
        : { service, available: false, queue: null, counts: null, failed: [] };
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
  const answer = await settleJobOf(deps, service, failedJobId, op);
  return { service, available: true, ...answer };
}
