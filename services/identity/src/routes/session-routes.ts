import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery } from '@conduit/contracts';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { logout, revokeOwnSession } from '../domain/sessions/end-session.js';
import { listSessions } from '../domain/sessions/list-sessions.js';
import { clientInfo } from './client-info.js';

const tags = ['sessions'];
const security = [{ bearer: [] }];
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
  app.post(
    '/v1/auth/logout',
    {
      schema: {
        tags,
        security,
        summary: 'End this session and its refresh tokens',
        response: { 204: z.null(), ...problemResponses(401) },
      },
    },
    async (request, reply) => {
      await logout(deps, requireActor(request), clientInfo(request));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/auth/sessions',
    {
      schema: {
        tags,
        security,
        summary: 'List my signed-in devices',
        querystring: pageQuery,
        response: { 200: pageOf(sessionDto), ...problemResponses(400, 401) },
      },
    },
    async (request) => listSessions(deps, requireActor(request), request.query),
  );

  app.delete(
    '/v1/auth/sessions/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Sign one of my devices out',
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null(), ...problemResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await revokeOwnSession(deps, requireActor(request), request.params.id, clientInfo(request));
      return reply.code(204).send(null);
    },
  );
}
