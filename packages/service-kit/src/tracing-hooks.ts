import { contextFromCarrier, tracer } from '@conduit/telemetry';
import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    span?: Span;
  }
}

/**
 * One SERVER span per request, continuing the caller's trace (W3C traceparent). The span becomes
 * the active context in preHandler, right before the handler, because body parsing runs on the
 * socket's async context and would lose it if set any earlier.
 */
export function registerTracingHooks(app: FastifyInstance) {
  app.addHook('onRequest', async (request) => {
    const parent = contextFromCarrier(request.headers);
    request.span = tracer().startSpan(
      `${request.method} ${request.routeOptions.url ?? 'unmatched'}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0] },
      },
      parent,
    );
  });
  app.addHook('preHandler', (request, _reply, done) => {
    if (!request.span) return done();
    context.with(trace.setSpan(context.active(), request.span), done);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.span?.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) request.span?.setStatus({ code: SpanStatusCode.ERROR });
    request.span?.end();
  });
}
