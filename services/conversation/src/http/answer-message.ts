import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { REQUEST_ID_HEADER } from '@conduit/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConversationDeps } from '../deps.js';
import { ProviderError } from '../domain/llm/chat-provider.js';
import { completeReply, postMessage, prepareReply } from '../domain/replies/post-message.js';
import { type ReplyEvent, silentSink } from '../domain/turns/turn.js';

/**
 * Answers a message sent to a session, as JSON or, with `Accept: text/event-stream`, as
 * Server-Sent Events (delta, tool, then done or error): the one reply path of signed-in users and
 * of app visitors.
 */
export async function answerMessage(
  deps: ConversationDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  actor: Actor,
  sessionId: string,
  text: string,
) {
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
    // Headers already set on the reply (CORS of the public widget API) go out with the stream.
    ...(reply.getHeaders() as Record<string, string>),
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
        if (error instanceof ProviderError) send('error', { code: error.code, message: error.userMessage });
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
}
