import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { DomainError } from '@conduit/errors';
import { injectTraceHeaders, SpanKind, withSpan } from '@conduit/telemetry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors, Pool } from 'undici';

/** Headers that describe one hop, not the message: never forwarded either way. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

function forwardable(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !hopByHop.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}

/** Answers at most this long, with a declared length, are read whole before they are sent on. */
const SMALL_ANSWER_BYTES = 64 * 1024;

/** A declared, small length and not an event stream (whose events must go on as they come). */
function isSmallAnswer(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) {
  const length = Number(headers['content-length']);
  const type = headers['content-type'];
  return (
    Number.isSafeInteger(length) &&
    length <= SMALL_ANSWER_BYTES &&
    !(typeof type === 'string' && type.startsWith('text/event-stream'))
  );
}

export interface ProxyOptions {
  headersTimeoutMs: number;
  idleTimeoutMs: number;
}

/**
 * Forwards a request to one service over a keep-alive pool and streams the answer back as it
 * arrives (Server-Sent Events are never buffered). A service that refuses the connection gives a
 * 502, one that does not start answering in time a 504; a client that goes away aborts the call.
 */
export class ServiceProxy {
  private readonly pool: Pool;

  constructor(
    readonly service: string,
    readonly origin: string,
    private readonly options: ProxyOptions,
  ) {
    this.pool = new Pool(origin, {
      connections: 128,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connect: { timeout: 5_000 },
    });
  }

  async forward(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    // The response closing before it finished means the client went away: stop the service's work.
    // (The request's own 'close' fires as soon as its body has been read, so it cannot tell.)
    // undici takes an emitter of 'abort' as the signal: a fraction of an AbortController's cost.
    const clientGone = new EventEmitter();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) clientGone.emit('abort');
    });
    return withSpan(
      `proxy ${this.service}`,
      { kind: SpanKind.CLIENT, attributes: { 'server.address': this.origin } },
      async () => {
        // Only the hops the gateway trusts (TRUST_PROXY) and the address it saw: a client's own
        // X-Forwarded-For would otherwise become its address in the services (login throttling).
        const forwardedFor = (request.ips ? [...request.ips].reverse() : [request.ip]).join(', ');
        let upstream: Awaited<ReturnType<Pool['request']>>;
        try {
          upstream = await this.pool.request({
            method: request.method as 'GET',
            path: request.url,
            headers: {
              ...forwardable(request.headers),
              ...injectTraceHeaders(),
              'x-request-id': request.id,
              'x-forwarded-for': forwardedFor,
              'x-forwarded-proto': request.protocol,
              'x-forwarded-host': request.headers.host ?? '',
              ...(request.body instanceof Readable
                ? { 'content-length': request.headers['content-length'] ?? '0' }
                : {}),
            },
            // A buffered body, or an upload's stream (whose declared length goes with it).
            body: request.body as Buffer | Readable | undefined,
            signal: clientGone,
            headersTimeout: this.options.headersTimeoutMs,
            bodyTimeout: this.options.idleTimeoutMs,
          });
        } catch (error) {
          throw this.failure(error);
        }
        reply.code(upstream.statusCode).headers(forwardable(upstream.headers));
        if (request.method !== 'HEAD' && isSmallAnswer(upstream.headers)) {
          // A few hundred bytes of JSON go back as one buffer: piping them through Node streams
          // cost more than the bytes themselves (docs/benchmarks.md, issue 17).
          try {
            return reply.send(Buffer.from(await upstream.body.arrayBuffer()));
          } catch (error) {
            throw this.failure(error);
          }
        }
        upstream.body.on('error', (error) =>
          request.log.warn({ err: error, service: this.service }, 'upstream stream ended abnormally'),
        );
        return reply.send(upstream.body);
      },
    );
  }

  private failure(error: unknown): DomainError {
    if (error instanceof errors.HeadersTimeoutError) {
      return new DomainError(
        'gateway_timeout',
        `The ${this.service} service did not answer in time; try again.`,
      );
    }
    // The client went away (our abort signal): nobody is left to answer, and the service is not at fault.
    if (error instanceof errors.RequestAbortedError || (error as Error)?.name === 'AbortError') {
      return new DomainError('bad_request', 'The request was cancelled by the client.');
    }
    return new DomainError(
      'bad_gateway',
      `The ${this.service} service is unavailable right now; try again shortly.`,
    );
  }

  /** True when the service answers its liveness probe. */
  async isAlive(): Promise<boolean> {
    try {
      const { statusCode, body } = await this.pool.request({
        method: 'GET',
        path: '/health/live',
        headersTimeout: 2000,
      });
      await body.dump();
      return statusCode === 200;
    } catch {
      return false;
    }
  }

  close() {
    return this.pool.close();
  }
}
