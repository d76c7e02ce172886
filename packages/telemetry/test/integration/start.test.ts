import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { currentTraceparent, SpanKind, startTelemetry, withSpan } from '../../src/index.js';

/** What crosses an `await` inside `context.with`: the value set, when a context manager carries it. */
const key = createContextKey('probe');
const carriedAcrossAwait = () =>
  context.with(ROOT_CONTEXT.setValue(key, 'set'), async () => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return context.active().getValue(key);
  });

/** A local OTLP/HTTP receiver: the bodies posted to /v1/traces. */
const posted: Buffer[] = [];
let receiver: Server | undefined;
afterAll(() => new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve())));

describe('startTelemetry', () => {
  // Runs first: the second test registers the SDK globally for the rest of this file.
  it('starts nothing without an endpoint: no context manager taxing every promise, no spans', async () => {
    const telemetry = startTelemetry({ serviceName: 'probe' });
    expect(await carriedAcrossAwait()).toBeUndefined();
    await withSpan('unexported', { kind: SpanKind.INTERNAL }, async () => {
      expect(currentTraceparent()).toBeUndefined();
    });
    await telemetry.shutdown();
  });

  it('with an endpoint, carries context across awaits and exports the spans there', async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.url === '/v1/traces') posted.push(Buffer.concat(chunks));
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;

    const telemetry = startTelemetry({ serviceName: 'probe', otlpEndpoint: `http://127.0.0.1:${port}/` });
    expect(await carriedAcrossAwait()).toBe('set');
    let traceparent: string | undefined;
    await withSpan('exported probe span', { kind: SpanKind.INTERNAL }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      traceparent = currentTraceparent();
    });
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await telemetry.shutdown(); // flushes the batch
    expect(posted.some((body) => body.includes('exported probe span'))).toBe(true);
  });
});
