export { type Context, context, SpanKind, trace } from '@opentelemetry/api';
export { type RecordedSpans, recordSpansInMemory } from './in-memory.js';
export {
  contextFromCarrier,
  contextFromTraceparent,
  currentTraceparent,
  injectTraceHeaders,
  TRACEPARENT,
  tracer,
  withSpan,
} from './propagation.js';
export { startTelemetry, type Telemetry } from './start.js';
