import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  contextFromCarrier,
  contextFromTraceparent,
  currentTraceparent,
  injectTraceHeaders,
  recordSpansInMemory,
  SpanKind,
  withSpan,
} from '../../src/index.js';

const recorded = recordSpansInMemory();
afterAll(() => recorded.shutdown());
// Each test reads the spans it made, whatever order the tests run in.
beforeEach(() => recorded.reset());

describe('trace propagation', () => {
  it('carries one trace across an injected and extracted carrier', async () => {
    let headers: Record<string, string> = {};
    await withSpan('client', { kind: SpanKind.CLIENT }, async () => {
      headers = injectTraceHeaders();
    });
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await withSpan('server', { kind: SpanKind.SERVER, parent: contextFromCarrier(headers) }, async () => {
      expect(currentTraceparent()?.split('-')[1]).toBe(headers.traceparent!.split('-')[1]);
    });
    const [client, server] = recorded.spans();
    expect(server!.spanContext().traceId).toBe(client!.spanContext().traceId);
    expect(server!.parentSpanContext?.spanId).toBe(client!.spanContext().spanId);
  });

  it('records a thrown error and still ends the span', async () => {
    await expect(withSpan('failing', {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    expect(recorded.spans()[0]!.status.code).toBe(2);
  });

  it('starts a fresh trace from a missing or garbage traceparent', async () => {
    await withSpan('a', { parent: contextFromTraceparent(undefined) }, async () => {});
    await withSpan('b', { parent: contextFromTraceparent('garbage') }, async () => {});
    const [a, b] = recorded.spans();
    expect(a!.spanContext().traceId).not.toBe(b!.spanContext().traceId);
  });
});
