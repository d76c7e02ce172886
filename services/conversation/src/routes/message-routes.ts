import { requireActor } from '@conduit/auth';
import { limitProblemSchema, pageOf, pageQuery, readableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { ConversationDeps } from '../deps.js';
import { messageDto } from '../domain/messages/message-dto.js';
import { listMessages, searchMessages } from '../domain/messages/read-messages.js';
import { sessionDto, sessionParams } from '../domain/sessions/session-access.js';
import { answerMessage } from '../http/answer-message.js';

const tags = ['messages'];
const usage = z.object({ tokensIn: z.int(), tokensOut: z.int() });
export const replyDto = z.object({ messages: z.array(messageDto), session: sessionDto, usage });

/** Messages of a session, the bot's replies (JSON or Server-Sent Events), and search. */
export function messageRoutes(app: ServiceApp, deps: ConversationDeps) {
  const route = routeGroup(app, { tags });
  route.get(
    '/v1/sessions/:sessionId/messages',
    {
      summary: "A session's messages, oldest first",
      params: sessionParams,
      querystring: pageQuery,
      response: pageOf(messageDto),
      problems: [400, 401, 404],
    },
    (request) => listMessages(deps, requireActor(request), request.params.sessionId, request.query),
  );

  route.post(
    '/v1/sessions/:sessionId/messages',
    {
      summary:
        'Send a message and get the reply; with Accept: text/event-stream it streams (delta, tool, done, error)',
      params: sessionParams,
      body: z.object({ text: readableText(20_000) }),
      status: 201,
      response: replyDto,
      responses: { 402: limitProblemSchema },
      problems: [400, 401, 404, 409, 410, 502, 503, 504],
    },
    (request, reply) =>
      answerMessage(deps, request, reply, requireActor(request), request.params.sessionId, request.body.text),
  );

  route.get(
    '/v1/messages/search',
    {
      summary: 'Full-text search over my own conversations',
      querystring: pageQuery.extend({ q: readableText(500) }),
      response: pageOf(messageDto.extend({ snippet: z.string(), rank: z.number() })),
      problems: [400, 401],
    },
    (request) => searchMessages(deps, requireActor(request), request.query),
  );
}
