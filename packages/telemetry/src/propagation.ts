import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

export const TRACEPARENT = 'traceparent';

export const tracer = () => trace.getTracer('conduit');

type Carrier = Record<string, string | string[] | undefined>;

const getter = {
  keys: (carrier: Carrier) => Object.keys(carrier),
  get: (carrier: Carrier, key: string) => {
    const value = carrier[key] ?? carrier[key.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  },
};

/** The W3C trace headers of the active span, to put on an outgoing HTTP request or NATS message. */
export function injectTraceHeaders(from: Context = context.active()): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(from, headers);
  return headers;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The W3C trace headers that make `span` the parent of the call they go on; none for a no-op
 * span (tracing off), whose context carries nothing.
 */
export function traceHeadersOf(span: Span): Readonly<Record<string, string>> {
  return isSpanContextValid(span.spanContext())
    ? injectTraceHeaders(trace.setSpan(context.active(), span))
    : NO_HEADERS;
}

/** Ends a span, recording the error that ended its work, if any. */
export function endSpan(span: Span, error?: Error): void {
  if (error) {
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  }
  span.end();
}

/** The traceparent of the active span, to store with work that continues later (outbox rows, jobs). */
export function currentTraceparent(): string | undefined {
  return injectTraceHeaders()[TRACEPARENT];
}

export function contextFromCarrier(carrier: Carrier): Context {
  return propagation.extract(ROOT_CONTEXT, carrier, getter);
}

export function contextFromTraceparent(traceparent: string | null | undefined): Context {
  return traceparent ? contextFromCarrier({ [TRACEPARENT]: traceparent }) : ROOT_CONTEXT;
}

/**
 * Runs `fn` inside a new span (child of `parent`, or of the active span), records a thrown error on
 * it, and always ends it.
 */
export async function withSpan<T>(
  name: string,
  options: { kind?: SpanKind; parent?: Context; attributes?: Attributes },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parent,
  );
  try {
    const result = await context.with(trace.setSpan(parent, span), () => fn(span));
    endSpan(span);
    return result;
  } catch (error) {
    endSpan(span, error as Error);
    throw error;
  }
}
