import { bearerToken } from '@conduit/auth';
import { limitProblemSchema, pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ConversationDeps } from '../deps.js';
import { appearanceDto } from '../domain/apps/app-dto.js';
import {
  loadPublicApp,
  originAllowed,
  type PublicApp,
  publicAppNotFound,
} from '../domain/apps/public-app.js';
import { admitVisitor, startVisitorSession, visitorOf, widgetConfig } from '../domain/apps/public-visits.js';
import { countWidgetRequest } from '../domain/apps/widget-rate-limit.js';
import { messageDto } from '../domain/messages/message-dto.js';
import { listMessages } from '../domain/messages/read-messages.js';
import { getSession, listSessions } from '../domain/sessions/manage-sessions.js';
import { sessionDto } from '../domain/sessions/session-access.js';
import { answerMessage } from '../http/answer-message.js';
import { replyDto } from './message-routes.js';

// The public widget API: no user account. A page whose Origin is one of the app's restricted URLs
// or verified domains gets a visitor token, the app's look, and chats with the app's bot. The
// origin check and CORS live here, in one place: the gateway passes these routes' preflights and
// answers through untouched.

const tags = ['widget'];
// A key of the wrong shape is as unknown as a key of no app: 404, not a validation error.
const appKeyParams = z.object({ publicKey: storableText(64) });
const visitorSessionParams = appKeyParams.extend({ sessionId: z.uuid() });
const started = z.object({ session: sessionDto, messages: z.array(messageDto) });

/** The page's path as the widget reports it (X-Widget-Page), bounded; undefined when not sent. */
function pagePathOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-widget-page'];
  return typeof header === 'string' && header.startsWith('/') ? header.slice(0, 2000) : undefined;
}

const allowedHeaders = 'authorization, content-type, accept, x-widget-page';
const exposedHeaders = 'x-request-id, retry-after';

/**
 * The app of the request's public key, once the page's origin may use it: CORS for that origin
 * (never with credentials: visitor tokens travel in a header, not a cookie) and one request
 * counted against the app and `caller`. Throws not_found (no published app), forbidden (origin),
 * rate_limited.
 */
async function admitRequest(
  deps: ConversationDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  publicKey: string,
): Promise<PublicApp> {
  const publicApp = await loadPublicApp(deps, publicKey);
  const origin = request.headers.origin;
  if (!originAllowed(publicApp, origin, pagePathOf(request)))
    throw new DomainError(
      'forbidden',
      "This app may not be used from this page: its origin is not one of the app's restricted URLs or verified domains.",
    );
  reply
    .header('access-control-allow-origin', origin)
    .header('access-control-expose-headers', exposedHeaders)
    .header('vary', 'Origin');
  return publicApp;
}

export function publicAppRoutes(app: ServiceApp, deps: ConversationDeps) {
  const open = routeGroup(app, { tags, security: null });
  const visitor = routeGroup(app, { tags });

  /** The app and the visitor a request's token names, counted against both budgets. */
  const visit = async (request: FastifyRequest, reply: FastifyReply, publicKey: string) => {
    const publicApp = await admitRequest(deps, request, reply, publicKey);
    const actor = await visitorOf(deps, publicApp, bearerToken(request));
    await countWidgetRequest(deps, publicApp.app.id, `visitor:${actor.userId}`);
    return actor;
  };

  // Preflights: the origin alone decides (a preflight carries no header values, so no page path).
  app.route({
    method: 'OPTIONS',
    url: '/v1/public/apps/:publicKey/*',
    schema: { hide: true },
    handler: async (request, reply) => {
      const { publicKey } = request.params as { publicKey: string };
      const parsed = appKeyParams.safeParse({ publicKey });
      if (!parsed.success) throw publicAppNotFound();
      const publicApp = await loadPublicApp(deps, parsed.data.publicKey);
      const origin = request.headers.origin;
      if (!originAllowed(publicApp, origin, null))
        throw new DomainError('forbidden', "This app may not be used from this page's origin.");
      return reply
        .code(204)
        .header('access-control-allow-origin', origin)
        .header('access-control-allow-methods', 'GET, POST')
        .header('access-control-allow-headers', allowedHeaders)
        .header('access-control-max-age', '600')
        .header('vary', 'Origin')
        .send();
    },
  });

  open.get(
    '/v1/public/apps/:publicKey/config',
    {
      summary: "The widget's look: the app's name, colors, launcher, welcome text and suggested questions",
      params: appKeyParams,
      response: z
        .object({ name: z.string(), logoUrl: z.string().nullable(), avatarUrl: z.string().nullable() })
        .extend(appearanceDto.shape),
      problems: [400, 403, 404, 429],
    },
    async (request, reply) => {
      const publicApp = await admitRequest(deps, request, reply, request.params.publicKey);
      await countWidgetRequest(deps, publicApp.app.id, `address:${request.ip}`);
      return widgetConfig(publicApp);
    },
  );

  open.post(
    '/v1/public/apps/:publicKey/visitor',
    {
      summary: 'A new visitor of the app, with a short-lived visitor token for the other widget routes',
      params: appKeyParams,
      status: 201,
      response: z.object({ visitorId: z.uuid(), token: z.string(), expiresAt: z.string() }),
      problems: [400, 403, 404, 429],
    },
    async (request, reply) => {
      const publicApp = await admitRequest(deps, request, reply, request.params.publicKey);
      await countWidgetRequest(deps, publicApp.app.id, `address:${request.ip}`);
      return admitVisitor(deps, request.params.publicKey, publicApp);
    },
  );

  visitor.post(
    '/v1/public/apps/:publicKey/sessions',
    {
      summary: "Start a chat session with the app's bot, as its visitor",
      params: appKeyParams,
      body: z.object({ title: storableText(200).trim().optional() }).default({}),
      status: 201,
      response: started,
      responses: { 402: limitProblemSchema },
      problems: [400, 401, 403, 404, 429, 503],
    },
    async (request, reply) =>
      startVisitorSession(deps, await visit(request, reply, request.params.publicKey), request.body.title),
  );

  visitor.get(
    '/v1/public/apps/:publicKey/sessions',
    {
      summary: "The visitor's own sessions, newest first",
      params: appKeyParams,
      querystring: pageQuery,
      response: pageOf(sessionDto),
      problems: [400, 401, 403, 404, 429],
    },
    async (request, reply) =>
      listSessions(deps, await visit(request, reply, request.params.publicKey), request.query),
  );

  visitor.get(
    '/v1/public/apps/:publicKey/sessions/:sessionId',
    {
      summary: "One of the visitor's sessions (another's answers 404)",
      params: visitorSessionParams,
      response: sessionDto,
      problems: [400, 401, 403, 404, 429],
    },
    async (request, reply) =>
      getSession(deps, await visit(request, reply, request.params.publicKey), request.params.sessionId),
  );

  visitor.get(
    '/v1/public/apps/:publicKey/sessions/:sessionId/messages',
    {
      summary: "A visitor's session's messages, oldest first",
      params: visitorSessionParams,
      querystring: pageQuery,
      response: pageOf(messageDto),
      problems: [400, 401, 403, 404, 429],
    },
    async (request, reply) =>
      listMessages(
        deps,
        await visit(request, reply, request.params.publicKey),
        request.params.sessionId,
        request.query,
      ),
  );

  visitor.post(
    '/v1/public/apps/:publicKey/sessions/:sessionId/messages',
    {
      summary:
        'Send a message as the visitor and get the reply; with Accept: text/event-stream it streams (delta, tool, done, error)',
      params: visitorSessionParams,
      body: z.object({ text: readableText(4000) }),
      status: 201,
      response: replyDto,
      responses: { 402: limitProblemSchema },
      problems: [400, 401, 403, 404, 409, 410, 429, 502, 503, 504],
    },
    async (request, reply) => {
      const actor = await visit(request, reply, request.params.publicKey);
      return answerMessage(deps, request, reply, actor, request.params.sessionId, request.body.text);
    },
  );
}
