import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery } from '@conduit/contracts';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { listActivityAsAdmin, listMyActivity } from '../domain/activity/list-activity.js';

const security = [{ bearer: [] }];
const activityDto = z.object({
  id: z.uuid(),
  userId: z.uuid(),
  organizationId: z.uuid().nullable(),
  type: z.string(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});

/**
 * Admin routes answer a non-admin exactly as a route that does not exist, before the input is
 * validated (a 400 would tell that the route is there).
 */
async function hiddenUnlessPlatformAdmin(request: FastifyRequest, reply: FastifyReply) {
  if (!request.auth?.actor.platformAdmin) return reply.callNotFound();
}

/** The audit trail of security events: my own, and everyone's for platform admins; behind `authenticate`. */
export function activityRoutes(app: ServiceApp, deps: IdentityDeps) {
  app.get(
    '/v1/me/activity',
    {
      schema: {
        tags: ['me'],
        security,
        summary: 'My account activity (sign-ins, password and role changes, ...), newest first',
        querystring: pageQuery,
        response: { 200: pageOf(activityDto), ...problemResponses(400, 401) },
      },
    },
    async (request) => listMyActivity(deps, requireActor(request), request.query),
  );

  app.get(
    '/v1/admin/activity',
    {
      preValidation: hiddenUnlessPlatformAdmin,
      schema: {
        tags: ['admin'],
        security,
        summary: "Everyone's account activity, newest first (platform admins; 404 for anyone else)",
        querystring: pageQuery.extend({
          userId: z.uuid().optional(),
          type: z
            .string()
            .max(64)
            .regex(/^[a-z_]{1,64}$/)
            .optional(),
        }),
        response: { 200: pageOf(activityDto), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => listActivityAsAdmin(deps, requireActor(request), request.query),
  );
}
