import { randomUUID } from 'node:crypto';
import { DomainError } from '@conduit/errors';
import { localServices, serveUsageStandIn, testBusNamespace, type UsageStandIn } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Bus,
  connectBus,
  isCounted,
  isUnlimited,
  refusedLine,
  releaseUsageOf,
  reserveUsageOf,
} from '../../src/index.js';

// The usage client every service reserves through, on the real NATS, against identity's usage
// protocol as the stand-in answers it (identity's own tests and e2e/ cover identity's answers).

let bus: Bus;
let usage: UsageStandIn;
const wording = { notIncluded: 'This plan does not include widgets.', timeoutMs: 2_000 };
const payer = () => ({ type: 'user' as const, id: randomUUID() });

beforeAll(async () => {
  bus = await connectBus({
    servers: localServices.natsUrl,
    name: 'usage-client-test',
    namespace: testBusNamespace(),
  });
  usage = serveUsageStandIn(bus);
});
afterAll(async () => {
  await usage?.stop();
  await bus?.close();
});

describe('reserveUsageOf', () => {
  it('answers a grant, and a refusal with the numbers of the metric that did not fit', async () => {
    const granted = await reserveUsageOf(bus, payer(), [{ metric: 'executions', amount: 1 }], wording);
    expect(granted.granted).toBe(true);
    expect(isUnlimited(granted.items[0]!)).toBe(false);
    expect(isCounted(granted.items[0]!)).toBe(true);

    usage.refuse.set('ai_credits', { remaining: 3, limit: 10 });
    try {
      const refused = await reserveUsageOf(
        bus,
        payer(),
        [
          { metric: 'messages', amount: 1 },
          { metric: 'ai_credits', amount: 5 },
        ],
        wording,
      );
      expect(refused).toMatchObject({ granted: false, refused: 'ai_credits' });
      expect(refusedLine(refused)).toEqual({ metric: 'ai_credits', remaining: 3, limit: 10 });
    } finally {
      usage.refuse.delete('ai_credits');
    }
  });

  it('grants a metric the plan does not limit, its line marked unlimited: counted if a gauge only', async () => {
    usage.unlimited.add('storage_mb');
    usage.unlimited.add('messages');
    try {
      const answer = await reserveUsageOf(
        bus,
        payer(),
        [
          { metric: 'storage_mb', amount: 500 },
          { metric: 'messages', amount: 1 },
        ],
        wording,
      );
      expect(answer.granted).toBe(true);
      expect(answer.items).toEqual([
        { metric: 'storage_mb', remaining: null, limit: null },
        { metric: 'messages', remaining: null, limit: null },
      ]);
      expect(answer.items.map(isUnlimited)).toEqual([true, true]);
      // Storage is counted on every plan, so its release gives it back; the messages were not counted.
      expect(answer.items.map(isCounted)).toEqual([true, false]);
    } finally {
      usage.unlimited.delete('storage_mb');
      usage.unlimited.delete('messages');
    }
  });

  it("refuses a payer without a subscription as not included (402 limit_reached), in the caller's words", async () => {
    const stranger = payer();
    usage.withoutSubscription.add(stranger.id);
    try {
      const error = await reserveUsageOf(
        bus,
        stranger,
        [{ metric: 'emails_sent', amount: 2 }],
        wording,
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({
        code: 'limit_reached',
        detail: 'This plan does not include widgets.',
        extra: { fields: { metric: 'emails_sent', remaining: 0, limit: 0, periodEnd: null } },
      });
    } finally {
      usage.withoutSubscription.delete(stranger.id);
    }
  });

  it('is unavailable (503, retry after 5 s) when identity does not answer', async () => {
    const alone = await connectBus({
      servers: localServices.natsUrl,
      name: 'usage-client-alone',
      namespace: testBusNamespace(),
    });
    try {
      const error = await reserveUsageOf(alone, payer(), [{ metric: 'executions', amount: 1 }], {
        ...wording,
        unavailable: 'Widgets cannot be counted right now.',
        timeoutMs: 300,
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'unavailable',
        detail: 'Widgets cannot be counted right now.',
        extra: { retryAfterSeconds: 5 },
      });
    } finally {
      await alone.close();
    }
  });
});

describe('releaseUsageOf', () => {
  it('gives back what a reservation names, with its period and reservation id', async () => {
    const subject = payer();
    const answer = await releaseUsageOf(
      bus,
      subject,
      [{ metric: 'ai_credits', amount: 4 }],
      { periodEnd: '2030-01-01T00:00:00.000Z', reservationId: randomUUID() },
      { timeoutMs: 2_000 },
    );
    expect(answer.items).toEqual([{ metric: 'ai_credits', released: 4 }]);
    expect(usage.releases.at(-1)).toEqual({ subject, items: [{ metric: 'ai_credits', amount: 4 }] });
  });
});
