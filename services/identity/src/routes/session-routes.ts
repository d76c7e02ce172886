import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery } from '@conduit/contracts';
import { clientInfo, routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { logout, revokeOwnSession } from '../domain/sessions/end-session.js';
import { listSessions } from '../domain/sessions/list-sessions.js';

const tags = ['sessions'];
const sessionDto = z.object({
  id: z.uuid(),
  device: z.string(),
  userAgent: z.string().nullable(),
  ip: z.string().nullable(),
  createdAt: z.string(),
  lastActiveAt: z.string(),
  expiresAt: z.string(),
  current: z.boolean(),
});

/** Routes of the caller's own sessions (devices); registered behind `authenticate`. */
export function sessionRoutes(app: ServiceApp, deps: IdentityDeps) {
  const route = routeGroup(app, { tags });
  route.post(
    '/v1/auth/logout',
    { summary: 'End this session and its refresh tokens', status: 204, problems: [401] },
    (request) => logout(deps, requireActor(request), clientInfo(request)),
  );

  route.get(
    '/v1/auth/sessions',
    {
      summary: 'List my signed-in devices',
      querystring: pageQuery,
      response: pageOf(sessionDto),
      problems: [400, 401],
    },
    (request) => listSessions(deps, requireActor(request), request.query),
  );

  route.delete(
    '/v1/auth/sessions/:id',
    {
      summary: 'Sign one of my devices out',
      params: z.object({ id: z.uuid() }),
      status: 204,
      problems: [400, 401, 404],
    },
    (request) => revokeOwnSession(deps, requireActor(request), request.params.id, clientInfo(request)),
  );
}
