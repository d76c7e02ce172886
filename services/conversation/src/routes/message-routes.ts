import { requireActor } from '@conduit/auth';
import { limitProblemSchema, pageOf, pageQuery, readableText } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { REQUEST_ID_HEADER, routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { ConversationDeps } from '../deps.js';
import { ProviderError } from '../domain/llm/chat-provider.js';
import { messageDto } from '../domain/messages/message-dto.js';
import { listMessages, searchMessages } from '../domain/messages/read-messages.js';
import { completeReply, postMessage, prepareReply } from '../domain/replies/post-message.js';
import { sessionDto, sessionParams } from '../domain/sessions/session-access.js';
import { type ReplyEvent, silentSink } from '../domain/turns/turn.js';

const tags = ['messages'];
const usage = z.object({ tokensIn: z.int(), tokensOut: z.int() });
const replyDto = z.object({ messages: z.array(messageDto), session: sessionDto, usage });

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
    async (request, reply) => {
      const actor = requireActor(request);
      const { sessionId } = request.params;
      const { text } = request.body;
      if (!/text\/event-stream/i.test(String(request.headers.accept ?? '')))
        return postMessage(deps, actor, sessionId, text, silentSink);

      // Streaming. Everything that can refuse the reply (404, 409, 410, 402) happens before the
      // stream opens, as a problem+json. The stream ends with `done` (the reply is stored) or
      // `error` (nothing is).
      const raw = reply.raw;
      const send = (event: string, data: unknown) => {
        if (raw.destroyed || raw.writableEnded) return;
        raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      const sink = { emit: (event: ReplyEvent) => send(event.type, event) };
      // Not tied to the client: a reader who goes away does not stop the reply from being stored.
      const controller = new AbortController();
      const prepared = await prepareReply(deps, actor, sessionId, text, sink, controller.signal);
      reply.hijack();
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        [REQUEST_ID_HEADER]: request.id,
      });
      raw.flushHeaders();
      raw.write(': reply started\n\n');
      await deps.inFlight.track(
        completeReply(prepared).then(
          (result) => send('done', result),
          (error: unknown) => {
            if (error instanceof ProviderError)
              send('error', { code: error.code, message: error.userMessage });
            else if (error instanceof DomainError) send('error', { code: error.code, message: error.detail });
            else {
              request.log.error({ err: error }, 'streamed reply failed');
              send('error', {
                code: 'internal',
                message: 'Something went wrong on our side; please try again.',
              });
            }
          },
        ),
      );
      raw.end();
      return reply;
    },
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
