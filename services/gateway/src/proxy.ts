import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { DomainError } from '@conduit/errors';
import { context, endSpan, type Span, SpanKind, traceHeadersOf, tracer } from '@conduit/telemetry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Dispatcher, errors, Pool } from 'undici';

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

/** Answers at most this long, with a declared length, are read whole before they are sent on. */
const SMALL_ANSWER_BYTES = 64 * 1024;

/** A declared, small length and not an event stream (whose events must go on as they come). */
function isSmallAnswer(headers: IncomingHttpHeaders) {
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

  forward(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const span = tracer().startSpan(
      `proxy ${this.service}`,
      { kind: SpanKind.CLIENT, attributes: { 'server.address': this.origin } },
      context.active(),
    );
    const headers: Record<string, string | string[]> = {};
    for (const name in request.headers) {
      const value = request.headers[name];
      if (value !== undefined && !hopByHop.has(name)) headers[name] = value;
    }
    Object.assign(headers, traceHeadersOf(span));
    headers['x-request-id'] = request.id;
    // Only the hops the gateway trusts (TRUST_PROXY) and the address it saw: a client's own
    // X-Forwarded-For would otherwise become its address in the services (login throttling).
    headers['x-forwarded-for'] = request.ips ? [...request.ips].reverse().join(', ') : request.ip;
    headers['x-forwarded-proto'] = request.protocol;
    headers['x-forwarded-host'] = request.headers.host ?? '';
    // An upload's stream goes on with its declared length.
    if (request.body instanceof Readable)
      headers['content-length'] = request.headers['content-length'] ?? '0';

    return new Promise((resolve, reject) => {
      const call = new ForwardedCall(this, request, reply, span, resolve, reject);
      // The response closing before it finished means the client went away: stop the service's
      // work. (The request's own 'close' fires as soon as its body has been read, so it cannot tell.)
      reply.raw.on('close', () => call.onClientClose());
      this.pool.dispatch(
        {
          method: request.method as Dispatcher.HttpMethod,
          path: request.url,
          headers,
          // A buffered body, or an upload's stream.
          body: request.body as Buffer | Readable | undefined,
          headersTimeout: this.options.headersTimeoutMs,
          bodyTimeout: this.options.idleTimeoutMs,
        },
        call,
      );
    });
  }

  /** The problem a failed call is answered with. */
  failure(error: unknown): DomainError {
    if (error instanceof errors.HeadersTimeoutError) {
      return new DomainError(
        'gateway_timeout',
        `The ${this.service} service did not answer in time; try again.`,
      );
    }
    // The client went away (our abort): nobody is left to answer, and the service is not at fault.
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

/**
 * One forwarded call, as undici's handler of it. A small answer is gathered and sent as one
 * buffer: undici's `request()` with its body stream, and piping a few hundred bytes of JSON
 * through Node streams, cost more than the bytes themselves (docs/benchmarks.md, issue 17). Any
 * other answer is sent on as a stream that pauses the service's socket while the client is slow.
 */
class ForwardedCall implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private clientGone = false;
  /** The reply has been sent (or the call failed before it could be). */
  private settled = false;
  private answerEnded = false;
  /** The small answer's chunks so far. */
  private chunks: Buffer[] | undefined;
  /** Any other answer's body, as it arrives. */
  private stream: Readable | undefined;

  constructor(
    private readonly proxy: ServiceProxy,
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
    private readonly span: Span,
    private readonly resolve: (reply: FastifyReply) => void,
    private readonly reject: (error: DomainError) => void,
  ) {}

  onClientClose() {
    if (this.reply.raw.writableFinished) return;
    this.clientGone = true;
    this.controller?.abort(new errors.RequestAbortedError());
  }

  onRequestStart(controller: Dispatcher.DispatchController) {
    this.controller = controller;
    if (this.clientGone) controller.abort(new errors.RequestAbortedError());
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ) {
    const { reply } = this;
    reply.code(statusCode);
    for (const name in headers) {
      const value = headers[name];
      if (value !== undefined && !hopByHop.has(name)) reply.header(name, value);
    }
    if (this.request.method !== 'HEAD' && isSmallAnswer(headers)) {
      this.chunks = [];
      return;
    }
    this.stream = new Readable({
      read: () => controller.resume(),
      // Fastify destroys it when the client goes away: the service's answer is not wanted then.
      destroy: (error, done) => {
        if (!this.answerEnded) controller.abort(error ?? new errors.RequestAbortedError());
        done(error);
      },
    });
    this.settle(() => reply.send(this.stream));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer) {
    if (this.chunks) this.chunks.push(chunk);
    else if (!this.stream!.push(chunk)) controller.pause();
  }

  onResponseEnd() {
    this.answerEnded = true;
    if (this.chunks) {
      const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      this.settle(() => this.reply.send(body));
    } else this.stream!.push(null);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error) {
    if (!this.settled) {
      this.settled = true;
      endSpan(this.span, error);
      this.reject(this.proxy.failure(error));
      return;
    }
    if (this.stream && !this.stream.destroyed) {
      if (!this.clientGone)
        this.request.log.warn(
          { err: error, service: this.proxy.service },
          'upstream stream ended abnormally',
        );
      this.stream.destroy(error);
    }
  }

  private settle(send: () => FastifyReply) {
    this.settled = true;
    endSpan(this.span);
    this.resolve(send());
  }
}
