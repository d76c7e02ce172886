export { type Context, context, type Span, SpanKind, trace } from '@opentelemetry/api';
export { type RecordedSpans, recordSpansInMemory } from './in-memory.js';
export {
  contextFromCarrier,
  contextFromTraceparent,
  currentTraceparent,
  endSpan,
  injectTraceHeaders,
  TRACEPARENT,
  traceHeadersOf,
  tracer,
  withSpan,
} from './propagation.js';
export { startTelemetry, type Telemetry } from './start.js';
