import { requireActor } from '@conduit/auth';
import {
  limitProblemSchema,
  pageOf,
  pageQuery,
  readableText,
  storableJsonObject,
  storableText,
} from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { ConversationDeps } from '../deps.js';
import { botParams } from '../domain/bots/bot-dto.js';
import { recordClick } from '../domain/clicks/record-click.js';
import { messageDto } from '../domain/messages/message-dto.js';
import { invokeTool } from '../domain/replies/invoke-tool.js';
import { startSession } from '../domain/replies/start-session.js';
import { deleteSession, endSession, getSession, listSessions } from '../domain/sessions/manage-sessions.js';
import { sessionDto, sessionParams } from '../domain/sessions/session-access.js';
import { toolName } from './tool-routes.js';

const tags = ['sessions'];
const started = z.object({ session: sessionDto, messages: z.array(messageDto) });

/** Chat sessions: start, list, read, end, delete; clicks and direct tool calls within one. */
export function sessionRoutes(app: ServiceApp, deps: ConversationDeps) {
  const route = routeGroup(app, { tags });
  route.post(
    '/v1/bots/:botId/sessions',
    {
      summary: 'Start a chat session (a dialog script runs until its first HEAR)',
      params: botParams,
      body: z
        .object({
          channel: readableText(50).optional(),
          title: storableText(200).trim().optional(),
        })
        .default({}),
      status: 201,
      response: started,
      responses: { 402: limitProblemSchema },
      problems: [400, 401, 404, 503],
    },
    (request) => startSession(deps, requireActor(request), request.params.botId, request.body),
  );

  route.get(
    '/v1/sessions',
    {
      summary: 'My chat sessions, newest first',
      querystring: pageQuery.extend({ botId: z.uuid().optional() }),
      response: pageOf(sessionDto),
      problems: [400, 401],
    },
    (request) => listSessions(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/sessions/:sessionId',
    { summary: 'A chat session', params: sessionParams, response: sessionDto, problems: [400, 401, 404] },
    (request) => getSession(deps, requireActor(request), request.params.sessionId),
  );

  route.post(
    '/v1/sessions/:sessionId/end',
    {
      summary: 'End a chat session (its history stays)',
      params: sessionParams,
      response: sessionDto,
      problems: [400, 401, 404, 410],
    },
    (request) => endSession(deps, requireActor(request), request.params.sessionId),
  );

  route.delete(
    '/v1/sessions/:sessionId',
    {
      summary: 'Delete a chat session and its messages',
      params: sessionParams,
      status: 204,
      problems: [400, 401, 404],
    },
    (request) => deleteSession(deps, requireActor(request), request.params.sessionId),
  );

  route.post(
    '/v1/sessions/:sessionId/clicks',
    {
      summary: 'Record a click on an element of the bot’s UI',
      params: sessionParams,
      body: z.object({
        elementId: readableText(200),
        metadata: storableJsonObject({ maxDepth: 16, maxBytes: 8 * 1024 }).optional(),
        timestamp: z.iso
          .datetime({ offset: true })
          .refine((at) => new Date(at).getUTCFullYear() >= 1970, 'must be a time since 1970')
          .optional(),
      }),
      status: 201,
      response: z.object({
        id: z.uuid(),
        sessionId: z.uuid(),
        elementId: z.string(),
        metadata: z.record(z.string(), z.unknown()),
        timestamp: z.string(),
      }),
      problems: [400, 401, 404, 413],
    },
    (request) => recordClick(deps, requireActor(request), request.params.sessionId, request.body),
  );

  route.post(
    '/v1/sessions/:sessionId/tools/:name',
    {
      summary: 'Run one of the bot’s tools directly (arguments checked against its PARAMs)',
      params: sessionParams.extend({ name: toolName }),
      body: z.object({ args: storableJsonObject({ maxDepth: 16, maxBytes: 64 * 1024 }).default({}) }),
      response: z.object({
        ok: z.boolean(),
        result: z.unknown(),
        error: z.string().nullable(),
        messages: z.array(messageDto),
        session: sessionDto,
      }),
      responses: { 402: limitProblemSchema },
      problems: [400, 401, 404, 409, 410, 422, 503],
    },
    (request) =>
      invokeTool(
        deps,
        requireActor(request),
        request.params.sessionId,
        request.params.name,
        request.body.args,
      ),
  );
}
