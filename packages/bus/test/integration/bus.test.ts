import { fileURLToPath } from 'node:url';
import { defineEvent, defineRpc, type EventEnvelope } from '@conduit/contracts';
import {
  createDatabase,
  type DatabaseClient,
  outboxTable,
  processedEventsTable,
  startOutboxRelay,
  uuidv7,
} from '@conduit/db';
import { DomainError } from '@conduit/errors';
import {
  createTestDatabase,
  localServices,
  startTcpProxy,
  type TcpProxy,
  type TestDatabase,
  testBusNamespace,
} from '@conduit/testing';
import { sql } from 'drizzle-orm';
import { pgSchema } from 'drizzle-orm/pg-core';
import { headers } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  appendEvent,
  type Bus,
  connectBus,
  idempotently,
  RpcError,
  relayPublisher,
  requestRpc,
  serveRpc,
  subscribeEvent,
} from '../../src/index.js';

const schema = pgSchema('bustest');
const outbox = outboxTable(schema);
const processedEvents = processedEventsTable(schema);
const greeted = defineEvent('bustest.greeting.sent', 1, z.object({ name: z.string() }));

let database: TestDatabase;
let client: DatabaseClient;
let bus: Bus;
const namespace = testBusNamespace();

beforeAll(async () => {
  database = await createTestDatabase([
    { schema: 'bustest', migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)) },
  ]);
  client = createDatabase(database.appUrl);
  bus = await connectBus({ servers: localServices.natsUrl, name: 'bus-test', namespace });
  await bus.ensureStream('bustest');
});
afterAll(async () => {
  await bus.jsm.streams.delete(`${namespace.toUpperCase()}_BUSTEST`).catch(() => {});
  await bus.close();
  await client.close();
  await database.drop();
});

const greet = (name: string) =>
  client.db.transaction(async (tx) => {
    await tx.execute(sql`insert into bustest.greetings values (${uuidv7()}, ${name})`);
    return appendEvent(tx, outbox, greeted, { name }, null);
  });

const effects = async () =>
  (
    await client.sql<
      { name: string; event_id: string }[]
    >`select name, event_id from bustest.greeting_effects order by name`
  ).map((r) => ({ ...r }));

describe('outbox to consumer', () => {
  let proxy: TcpProxy;

  it('delivers an event committed while the bus was down, exactly once, after it comes back', async () => {
    proxy = await startTcpProxy({
      host: '127.0.0.1',
      port: Number(new URL(localServices.natsUrl).port || 4222),
    });
    const relayBus = await connectBus({
      servers: `nats://127.0.0.1:${proxy.port}`,
      name: 'relay',
      namespace,
    });
    const relay = await startOutboxRelay({
      sql: client.sql,
      schema: 'bustest',
      publish: relayPublisher(relayBus),
      pollIntervalMs: 100,
    });
    const consumer = await subscribeEvent(bus, {
      event: greeted,
      durable: 'bustest-greeting-effects',
      handler: idempotently(client.db, processedEvents, 'bustest-greeting-effects', async (tx, envelope) => {
        await tx.execute(
          sql`insert into bustest.greeting_effects values (${envelope.id}, ${envelope.data.name})`,
        );
      }),
    });

    await proxy.cut();
    const envelope = await greet('while-down');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const [pending] =
      await client.sql`select published_at, attempts from bustest.outbox where id = ${envelope.id}`;
    expect(pending!.published_at).toBeNull();
    expect(await effects()).toEqual([]);

    await proxy.restore();
    await expect
      .poll(effects, { timeout: 15_000, interval: 100 })
      .toEqual([{ name: 'while-down', event_id: envelope.id }]);

    // A relay that crashed after the broker's ack but before marking the row publishes it again:
    // the broker drops the duplicate by its message id.
    await relayPublisher(bus)({
      id: envelope.id,
      subject: greeted.subject,
      payload: envelope,
      traceparent: null,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await effects()).toHaveLength(1);

    await consumer.stop();
    await relay.stop();
    await relayBus.close();
    await proxy.close();
  }, 30_000);

  it('applies a redelivered event once', async () => {
    const apply = idempotently(
      client.db,
      processedEvents,
      'bustest-redelivery',
      async (tx, envelope: EventEnvelope<{ name: string }>) => {
        await tx.execute(
          sql`insert into bustest.greeting_effects values (${envelope.id}, ${envelope.data.name})`,
        );
      },
    );
    const envelope = {
      id: uuidv7(),
      subject: greeted.subject,
      version: 1,
      occurredAt: new Date().toISOString(),
      actor: null,
      data: { name: 'twice' },
    };
    expect(await apply(envelope)).toBe(true);
    expect(await apply(envelope)).toBe(false);
    expect((await effects()).filter((e) => e.name === 'twice')).toHaveLength(1);
  });

  it('redelivers after a failing handler and terminates payloads that break the contract', async () => {
    const seen: string[] = [];
    const errors: unknown[] = [];
    let failures = 1;
    const consumer = await subscribeEvent(bus, {
      event: greeted,
      durable: 'bustest-flaky',
      handler: async (envelope) => {
        seen.push(envelope.data.name);
        if (envelope.data.name === 'flaky' && failures-- > 0) throw new Error('transient');
      },
      onError: (error) => errors.push(error),
    });
    const h = headers();
    await bus.js.publish(bus.subject(greeted.subject), JSON.stringify({ id: 'not-a-uuid', data: 1 }), {
      headers: h,
    });
    await relayPublisher(bus)({
      id: uuidv7(),
      subject: greeted.subject,
      payload: {
        id: uuidv7(),
        subject: greeted.subject,
        version: 1,
        occurredAt: new Date().toISOString(),
        actor: null,
        data: { name: 'flaky' },
      },
      traceparent: null,
    });
    await expect.poll(() => seen.filter((name) => name === 'flaky').length, { timeout: 10_000 }).toBe(2);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    await consumer.stop();
  }, 20_000);

  it('does not deliver an event again while its handler is still working past the ack wait', async () => {
    const started: number[] = [];
    let done = 0;
    const consumer = await subscribeEvent(bus, {
      event: greeted,
      durable: 'bustest-slow',
      ackWaitMs: 1000,
      handler: async (envelope) => {
        if (envelope.data.name !== 'slow') return;
        started.push(Date.now());
        await new Promise((resolve) => setTimeout(resolve, 3500));
        done++;
      },
    });
    await relayPublisher(bus)({
      id: uuidv7(),
      subject: greeted.subject,
      payload: {
        id: uuidv7(),
        subject: greeted.subject,
        version: 1,
        occurredAt: new Date().toISOString(),
        actor: null,
        data: { name: 'slow' },
      },
      traceparent: null,
    });
    await expect.poll(() => done, { timeout: 10_000 }).toBe(1);
    // Past twice the ack wait after it was acked: still one run.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(started).toHaveLength(1);
    await consumer.stop();
  }, 20_000);
});

describe('rpc', () => {
  const add = defineRpc(
    'rpc.bustest.add',
    z.object({ a: z.number(), b: z.number() }),
    z.object({ sum: z.number() }),
  );

  it('answers typed requests and carries typed errors back', async () => {
    const server = serveRpc(bus, add, 'bustest', async ({ a, b }) => {
      if (a < 0) throw new RpcError('bad_request', 'a must not be negative');
      if (a === 13) throw new Error('secret internals');
      if (a === 404) throw new DomainError('not_found', 'No such addend.');
      if (a === 422) throw new DomainError('unprocessable', 'That sum cannot be made.');
      return { sum: a + b };
    });
    expect(await requestRpc(bus, add, { a: 2, b: 3 })).toEqual({ sum: 5 });
    await expect(requestRpc(bus, add, { a: -1, b: 3 })).rejects.toMatchObject({
      code: 'bad_request',
      message: 'a must not be negative',
    });
    await expect(requestRpc(bus, add, { a: 13, b: 3 })).rejects.toMatchObject({
      code: 'internal',
      message: 'internal error',
    });
    // A verb's DomainError travels with its code mapped for the wire and its detail.
    await expect(requestRpc(bus, add, { a: 404, b: 3 })).rejects.toMatchObject({
      code: 'not_found',
      message: 'No such addend.',
    });
    await expect(requestRpc(bus, add, { a: 422, b: 3 })).rejects.toMatchObject({
      code: 'bad_request',
      message: 'That sum cannot be made.',
    });
    const raw = await bus.nc.request(bus.subject(add.subject), JSON.stringify({ a: 'x' }));
    expect(raw.json()).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const notJson = await bus.nc.request(bus.subject(add.subject), 'not json');
    expect(notJson.json()).toMatchObject({
      ok: false,
      error: { code: 'bad_request', message: 'the request is not JSON' },
    });
    await server.stop();
  });

  it('says so when nobody answers or the answer is late', async () => {
    await expect(requestRpc(bus, add, { a: 1, b: 1 })).rejects.toMatchObject({ code: 'unavailable' });
    const slow = serveRpc(bus, add, 'bustest', async () => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      return { sum: 0 };
    });
    await expect(requestRpc(bus, add, { a: 1, b: 1 }, { timeoutMs: 100 })).rejects.toMatchObject({
      code: 'timeout',
    });
    await slow.stop();
  });

  it('turns an answer outside the contract into a typed internal error', async () => {
    for (const answer of [
      'not json',
      '{"ok":true,"data":{"sum":"x"}}',
      '{"ok":false,"error":{"code":"teapot"}}',
    ]) {
      const sub = bus.nc.subscribe(bus.subject(add.subject), {
        max: 1,
        callback: (_e, msg) => msg.respond(answer),
      });
      await expect(requestRpc(bus, add, { a: 1, b: 1 }), answer).rejects.toMatchObject({
        name: 'RpcError',
        code: 'internal',
      });
      sub.unsubscribe();
    }
  });

  it('finishes the calls in flight before stop() resolves (graceful shutdown)', async () => {
    let started!: () => void;
    const inHandler = new Promise<void>((resolve) => {
      started = resolve;
    });
    let finished = false;
    const server = serveRpc(bus, add, 'bustest', async ({ a, b }) => {
      started();
      await new Promise((resolve) => setTimeout(resolve, 300));
      finished = true;
      return { sum: a + b };
    });
    const call = requestRpc(bus, add, { a: 1, b: 2 });
    await inHandler;
    await server.stop();
    // Connections are closed right after stop(): the answer must already be on its way.
    expect(finished).toBe(true);
    expect(await call).toEqual({ sum: 3 });
  });
});
