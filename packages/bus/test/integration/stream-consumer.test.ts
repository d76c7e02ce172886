import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@conduit/contracts';
import { localServices, testBusNamespace } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, connectBus, consumeStreamBatches, streamNameFor } from '../../src/index.js';

let bus: Bus;
const namespace = testBusNamespace();

beforeAll(async () => {
  bus = await connectBus({ servers: localServices.natsUrl, name: 'stream-consumer-test', namespace });
});
afterAll(async () => {
  await bus.jsm.streams.delete(streamNameFor(namespace, 'batchy')).catch(() => {});
  await bus.close();
});

const envelope = (n: number) => ({
  id: randomUUID(),
  subject: `batchy.thing.${n % 2 ? 'made' : 'changed'}`,
  version: 1,
  occurredAt: new Date().toISOString(),
  actor: null,
  data: { n },
});

const until = async (check: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('consumeStreamBatches', () => {
  it('hands over every event of the stream in batches, redelivers a batch that failed, and skips what is no event', async () => {
    const seen: number[] = [];
    const batchSizes: number[] = [];
    let failOnce = true;
    // The stream does not exist yet: the consumer makes it, as the producer would.
    const consumer = await consumeStreamBatches(bus, {
      service: 'batchy',
      durable: 'test-batches',
      batchSize: 25,
      maxWaitMs: 20,
      handle: async (batch: EventEnvelope<Record<string, unknown>>[]) => {
        if (failOnce) {
          failOnce = false;
          throw new Error('the database is down');
        }
        batchSizes.push(batch.length);
        for (const event of batch) seen.push(event.data.n as number);
      },
    });
    await bus.js.publish(bus.subject('batchy.thing.made'), 'not json');
    for (let n = 0; n < 100; n++)
      await bus.js.publish(bus.subject(envelope(n).subject), JSON.stringify(envelope(n)));

    await until(() => new Set(seen).size === 100);
    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(25);
    expect(batchSizes.length).toBeLessThan(100);
    await expect.poll(() => consumer.lag(), { timeout: 10_000 }).toBe(0);
    await consumer.stop();
  });
});
