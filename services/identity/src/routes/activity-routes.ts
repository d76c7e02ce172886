import { platformAdminOnly, requireActor } from '@conduit/auth';
import { pageOf, pageQuery } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { listActivityAsAdmin, listMyActivity } from '../domain/activity/list-activity.js';

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

/** The audit trail of security events: my own, and everyone's for platform admins; behind `authenticate`. */
export function activityRoutes(app: ServiceApp, deps: IdentityDeps) {
  const route = routeGroup(app, { tags: ['me'] });
  const admin = routeGroup(app, { tags: ['admin'] });
  route.get(
    '/v1/me/activity',
    {
      summary: 'My account activity (sign-ins, password and role changes, ...), newest first',
      querystring: pageQuery,
      response: pageOf(activityDto),
      problems: [400, 401],
    },
    (request) => listMyActivity(deps, requireActor(request), request.query),
  );

  admin.get(
    '/v1/admin/activity',
    {
      preValidation: platformAdminOnly,
      summary: "Everyone's account activity, newest first (platform admins; 403 for anyone else)",
      querystring: pageQuery.extend({
        userId: z.uuid().optional(),
        type: z
          .string()
          .max(64)
          .regex(/^[a-z_]{1,64}$/)
          .optional(),
      }),
      response: pageOf(activityDto),
      problems: [400, 401, 403],
    },
    (request) => listActivityAsAdmin(deps, requireActor(request), request.query),
  );
}
