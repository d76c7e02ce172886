import { contextFromCarrier, tracer } from '@conduit/telemetry';
import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    span?: Span;
  }
}

/** One SERVER span per request, continuing the caller's trace (W3C traceparent); onRequest. */
export function startRequestSpan(request: FastifyRequest) {
  request.span = tracer().startSpan(
    `${request.method} ${request.routeOptions.url ?? 'unmatched'}`,
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0] },
    },
    contextFromCarrier(request.headers),
  );
}

/**
 * Makes the request's span the active context, in preHandler, right before the handler: body
 * parsing runs on the socket's async context and would lose it if set any earlier.
 */
export function enterRequestSpan(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
) {
  if (!request.span) return done();
  context.with(trace.setSpan(context.active(), request.span), done);
}

/** onResponse. */
export function endRequestSpan(request: FastifyRequest, reply: FastifyReply) {
  request.span?.setAttribute('http.response.status_code', reply.statusCode);
  if (reply.statusCode >= 500) request.span?.setStatus({ code: SpanStatusCode.ERROR });
  request.span?.end();
}
