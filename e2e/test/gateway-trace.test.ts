import { type EventSubscription, subscribeEvent } from '@conduit/bus';
import { type EventEnvelope, identityEvents } from '@conduit/contracts';
import { type GatewayHarness, startGateway } from '@conduit/gateway/test/fixtures/gateway-harness.js';
import {
  type IdentityHarness,
  STRONG_PASSWORD,
  startIdentityHarness,
  uniqueEmail,
} from '@conduit/identity/test/fixtures/identity-harness.js';
import { recordSpansInMemory, SpanKind } from '@conduit/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const spans = recordSpansInMemory();
let identity: IdentityHarness;
let gateway: GatewayHarness;
let subscription: EventSubscription;
const received: EventEnvelope<{ email: string }>[] = [];

beforeAll(async () => {
  identity = await startIdentityHarness();
  gateway = await startGateway({ IDENTITY_URL: await identity.app.listen({ port: 0, host: '127.0.0.1' }) });
  subscription = await subscribeEvent(identity.bus, {
    event: identityEvents.userRegistered,
    durable: 'trace-test',
    handler: async (envelope) => received.push(envelope),
  });
});
afterAll(async () => {
  await subscription?.stop();
  await gateway?.close();
  await identity?.close();
  await spans.shutdown();
});

describe('tracing', () => {
  it('follows one request from the gateway through identity to the consumer of its event', async () => {
    const email = uniqueEmail('traced');
    const res = await fetch(`${gateway.url}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: STRONG_PASSWORD }),
    });
    expect(res.status).toBe(201);
    await expect
      .poll(() => received.some((event) => event.data.email === email), { timeout: 10_000 })
      .toBe(true);
    // Every span of the trace, not only the consumer's: the publish span ends when the relay gets
    // the broker's ack, which comes on another connection than the delivery to the consumer and
    // may well come after it.
    const expected: [string, SpanKind][] = [
      ['POST /v1/auth/*', SpanKind.SERVER],
      ['proxy identity', SpanKind.CLIENT],
      ['POST /v1/auth/register', SpanKind.SERVER],
      ['publish identity.user.registered', SpanKind.PRODUCER],
      ['consume identity.user.registered', SpanKind.CONSUMER],
    ];
    await expect
      .poll(
        () =>
          expected
            .filter(([name, kind]) => !spans.spans().some((s) => s.name === name && s.kind === kind))
            .map(([name]) => name),
        { timeout: 10_000 },
      )
      .toEqual([]);

    const byName = (name: string, kind: SpanKind) => {
      const span = spans.spans().find((s) => s.name === name && s.kind === kind);
      expect(span, `span "${name}"`).toBeDefined();
      return span!;
    };
    const entry = byName('POST /v1/auth/*', SpanKind.SERVER);
    const proxy = byName('proxy identity', SpanKind.CLIENT);
    const service = byName('POST /v1/auth/register', SpanKind.SERVER);
    const publish = byName('publish identity.user.registered', SpanKind.PRODUCER);
    const consume = byName('consume identity.user.registered', SpanKind.CONSUMER);

    const traceId = entry.spanContext().traceId;
    expect(entry.parentSpanContext).toBeUndefined();
    for (const span of [proxy, service, publish, consume]) expect(span.spanContext().traceId).toBe(traceId);
    expect(proxy.parentSpanContext?.spanId).toBe(entry.spanContext().spanId);
    expect(service.parentSpanContext?.spanId).toBe(proxy.spanContext().spanId);
    expect(consume.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
  });
});
