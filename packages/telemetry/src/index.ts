export { startTelemetry, type Telemetry } from './start.js';
export { recordSpansInMemory, type RecordedSpans } from './in-memory.js';
export {
  TRACEPARENT,
  contextFromCarrier,
  contextFromTraceparent,
  currentTraceparent,
  injectTraceHeaders,
  tracer,
  withSpan,
} from './propagation.js';
export { SpanKind, context, trace, type Context } from '@opentelemetry/api';
