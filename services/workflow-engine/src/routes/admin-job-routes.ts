import { platformAdminOnly, requireActor } from '@conduit/auth';
import { failedJobSchema, queueCountsSchema } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { WorkflowDeps } from '../deps.js';
import { listAdminJobs, settleFailedJob } from '../domain/admin/admin-jobs.js';

const serviceJobs = z.object({
  service: z.string(),
  available: z.boolean(),
  queue: z.string().nullable(),
  counts: queueCountsSchema.nullable(),
  failed: z.array(failedJobSchema),
  jobId: z.string().optional(),
});
const failedParams = z.object({
  service: z
    .string()
    .max(63)
    .regex(/^[a-z][a-z0-9-]{0,62}$/, 'a service name'),
  failedJobId: z.uuid(),
});

/** Every service's job queues and failed jobs, for platform admins (see domain/admin/admin-jobs). */
export function adminJobRoutes(app: ServiceApp, deps: WorkflowDeps) {
  const route = routeGroup(app, { tags: ['admin jobs'] });
  route.get(
    '/v1/admin/jobs',
    {
      preValidation: platformAdminOnly,
      summary: "Every service's queue counts (waiting, active, delayed, failed) and its failed jobs",
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }).strict(),
      response: z.object({ services: z.array(serviceJobs) }),
      problems: [400, 401, 403],
    },
    (request) => listAdminJobs(deps, requireActor(request), request.query),
  );

  route.post(
    '/v1/admin/jobs/:service/failed/:failedJobId/retry',
    {
      preValidation: platformAdminOnly,
      summary: 'Queue a failed job again (once) and drop it from the failed jobs',
      params: failedParams,
      response: serviceJobs,
      problems: [400, 401, 403, 404, 503],
    },
    (request) =>
      settleFailedJob(
        deps,
        requireActor(request),
        request.params.service,
        request.params.failedJobId,
        'retry',
      ),
  );

  route.delete(
    '/v1/admin/jobs/:service/failed/:failedJobId',
    {
      preValidation: platformAdminOnly,
      summary: 'Discard a failed job',
      params: failedParams,
      response: serviceJobs,
      problems: [400, 401, 403, 404, 503],
    },
    (request) =>
      settleFailedJob(
        deps,
        requireActor(request),
        request.params.service,
        request.params.failedJobId,
        'discard',
      ),
  );
}
