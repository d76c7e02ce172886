import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startWorkerProcess } from '@conduit/runtime';
import { createLogger } from '@conduit/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationService } from '../../src/service.js';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';

// General Bots BASIC events (issue #19, family 7) through the service on real Postgres, Redis and
// NATS: ON handlers run once per change of a bot table, from a dialog, the tables API or a webhook,
// through the outbox and JetStream; WEBHOOK scripts answer a public route with no token.

let h: ConversationHarness;
/** A local server whose /slow answers only when the test lets it (a handler's long HTTP call). */
let slow: Server;
let slowUrl: string;
let slowRequests = 0;
let letSlowAnswer: () => void = () => {};
let worker: { close(): Promise<void> } | undefined;
let user: Awaited<ReturnType<ConversationHarness['tokens']['mint']>>;
const orgId = crypto.randomUUID();

beforeAll(async () => {
  slow = createServer((_req, res) => {
    slowRequests++;
    letSlowAnswer = () => {
      letSlowAnswer = () => {};
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok": true}');
    };
  });
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
  slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/slow`;
  h = await startConversationHarness({
    env: { SCRIPT_HTTP_ALLOW: '127.0.0.0/8', SCRIPT_HTTP_TIMEOUT: '60s' },
  });
  // Event consumers run in the worker process when the service has one, else in the HTTP one.
  if (conversationService.worker)
    worker = await startWorkerProcess(conversationService, {
      env: h.env,
      log: createLogger({
        service: 'conversation-worker-test',
        level: process.env.TEST_LOG_LEVEL ?? 'silent',
      }),
    });
  user = await h.tokens.mint({ orgId, perms: ['bots.read', 'bots.write'] });
});
afterAll(async () => {
  letSlowAnswer();
  await worker?.close();
  await h?.close();
  slow?.closeAllConnections();
  await new Promise((resolve) => slow?.close(resolve));
});

async function call(
  method: string,
  url: string,
  payload?: object,
  headers: Record<string, string> = user.headers,
) {
  const res = await h.app.inject({ method: method as 'GET', url, headers, ...(payload ? { payload } : {}) });
  if (res.statusCode >= 300) throw new Error(`${method} ${url} -> ${res.statusCode} ${res.body}`);
  return res.statusCode === 204 ? null : res.json();
}

const bot = async (script: string | null) =>
  (await call('POST', '/v1/bots', { name: 'Shop bot', script })).id as string;
const putScript = (botId: string, name: string, script: string) =>
  h.app.inject({
    method: 'PUT',
    url: `/v1/bots/${botId}/tools/${name}`,
    headers: user.headers,
    payload: { script },
  });

const rowsOf = async (botId: string, table: string) =>
  (
    await h.admin`select r.data from conversation.bot_table_rows r
      join conversation.bot_tables t on t.id = r.table_id
      where t.bot_id = ${botId} and t.name = ${table} order by r.created_at, r.id`
  ).map((r) => r.data as Record<string, unknown>);

const changeEvents = async (botId: string) =>
  (
    await h.admin`select payload from conversation.outbox
      where subject = 'conversation.bot_table.changed' and payload -> 'data' ->> 'botId' = ${botId}`
  ).length;

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('ON handlers', () => {
  it('run once per change of the table they name, from a dialog and from the tables API; their own changes run none', async () => {
    const botId = await bot(`id = "A1"
total = 10
SAVE "orders", id, total
n = UPDATE "orders", "id=A1", {"total": 12}
DELETE "orders", "id=A1"
TALK "done " & n`);
    const audit = await putScript(
      botId,
      'audit-orders',
      `ON INSERT, UPDATE OF "orders"
INSERT "audit", {"order": row.id, "what": change, "total": row.total, "table": table}
seen = GET BOT MEMORY "changes"
SET BOT MEMORY "changes", seen + 1`,
    );
    expect(audit.statusCode).toBe(201);
    // A handler of the audit table: the audit handler's INSERTs must not set it off.
    expect((await putScript(botId, 'audit-echo', 'ON "audit"\nINSERT "loops", {"x": 1}')).statusCode).toBe(
      201,
    );

    const started = await call('POST', `/v1/bots/${botId}/sessions`, {});
    expect(started.messages.map((m: { content: string }) => m.content)).toEqual(['done 1']);
    await call('POST', `/v1/bots/${botId}/tables/orders/rows`, { key: 'B2', data: { id: 'B2', total: 5 } });

    const rows = await eventually(
      () => rowsOf(botId, 'audit'),
      (r) => r.length >= 3,
    );
    expect(rows).toEqual([
      { order: 'A1', what: 'insert', total: 10, table: 'orders' },
      { order: 'A1', what: 'update', total: 12, table: 'orders' },
      { order: 'B2', what: 'insert', total: 5, table: 'orders' },
    ]);
    // Once each: nothing more arrives, the memory counted three, the delete (awaited by no
    // handler) recorded no event, and the audit handler's own rows ran no handler.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await rowsOf(botId, 'audit')).toHaveLength(3);
    const [memory] = await h.admin`select value from conversation.bot_memories where bot_id = ${botId}`;
    expect(memory?.value).toBe(3);
    expect(await changeEvents(botId)).toBe(3 + 3);
    expect(await rowsOf(botId, 'loops')).toEqual([]);
  });

  it('a bot without handlers records no change events; a handler script stays out of the LLM tools', async () => {
    const botId = await bot('id = "X"\nSAVE "orders", id\nTALK "saved"');
    await call('POST', `/v1/bots/${botId}/sessions`, {});
    expect(await rowsOf(botId, 'orders')).toEqual([{ id: 'X' }]);
    expect(await changeEvents(botId)).toBe(0);

    expect((await putScript(botId, 'on-orders', 'ON DELETE OF "orders"\nTALK "gone"')).statusCode).toBe(201);
    const tooled = await bot('USE TOOL "on-orders"');
    expect((await putScript(tooled, 'on-orders', 'ON DELETE OF "orders"\nTALK "gone"')).statusCode).toBe(201);
    const { messages } = await call('POST', `/v1/bots/${tooled}/sessions`, {});
    expect(messages.at(-1).content).toContain('is an ON or WEBHOOK script of this bot, not a tool');
  });

  it('a handler is claimed before it runs and runs outside any transaction; a redelivered change does not run it again', async () => {
    const botId = await bot(null);
    expect(
      (
        await putScript(
          botId,
          'notify',
          `ON INSERT OF "orders"\nr = GET "${slowUrl}"\nINSERT "audit", {"order": row.id, "ok": r.ok}`,
        )
      ).statusCode,
    ).toBe(201);
    await call('POST', `/v1/bots/${botId}/tables/orders/rows`, { key: 'S1', data: { id: 'S1' } });
    await eventually(
      async () => slowRequests,
      (n) => n > 0,
    );
    // The handler waits on its HTTP call: its claim is committed, and no transaction stays open.
    const [event] = await h.admin`select payload from conversation.outbox
      where subject = 'conversation.bot_table.changed' and payload -> 'data' ->> 'botId' = ${botId}`;
    const payload = event!.payload as { id: string };
    const eventId = payload.id;
    const claims =
      await h.admin`select consumer from conversation.processed_events where event_id = ${eventId}`;
    expect(claims.map((c) => c.consumer)).toEqual([
      expect.stringMatching(/^conversation-bot-table-handlers:/),
    ]);
    // Held open, a transaction would sit idle for as long as the handler waits; another one of
    // the service's, caught between two of its statements, has been idle for far less.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const open = await h.admin`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and state like 'idle in transaction%'
        and state_change < now() - interval '400 milliseconds'`;
    expect(open[0]?.n).toBe(0);

    // The same change delivered again (another message id): it waits, then finds the claim.
    await h.bus.js.publish(h.bus.subject('conversation.bot_table.changed'), JSON.stringify(payload));
    letSlowAnswer();
    expect(
      await eventually(
        () => rowsOf(botId, 'audit'),
        (r) => r.length > 0,
      ),
    ).toEqual([{ order: 'S1', ok: true }]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(slowRequests).toBe(1);
    expect(await rowsOf(botId, 'audit')).toHaveLength(1);
  });

  it('a table name that tries SQL does not compile, and nothing is saved', async () => {
    const botId = await bot(null);
    const res = await putScript(botId, 'bad', 'ON INSERT OF "orders; drop table x"\nTALK 1');
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toContain('is not a table name');
    expect(await h.admin`select 1 from conversation.basic_tools where bot_id = ${botId}`).toHaveLength(0);
  });
});

describe('WEBHOOK', () => {
  const hook = `WEBHOOK "new-order"
IF params.secret <> "s3cret" THEN
  RETURN {"ok": FALSE}
END IF
id = body.id
total = body.total
SAVE "orders", id, total
result_stored = id
result_count = LEN(FIND "orders", "")
result_method = method`;

  it('answers a public POST with no token: the script stores the order as the bot owner, and its ON handlers run', async () => {
    const botId = await bot(null);
    expect((await putScript(botId, 'order-hook', hook)).statusCode).toBe(201);
    expect(
      (await putScript(botId, 'on-order', 'ON INSERT OF "orders"\nINSERT "audit", {"order": row.id}'))
        .statusCode,
    ).toBe(201);
    const url = `/v1/public/bots/${botId}/webhooks/New-Order?secret=s3cret`;
    const res = await h.app.inject({ method: 'POST', url, payload: { id: 'W1', total: 30 } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ stored: 'W1', count: 1, method: 'POST' });
    expect(await rowsOf(botId, 'orders')).toEqual([{ id: 'W1', total: 30 }]);
    expect(
      await eventually(
        () => rowsOf(botId, 'audit'),
        (r) => r.length > 0,
      ),
    ).toEqual([{ order: 'W1' }]);

    // The script decides whom it trusts: without its secret it RETURNs early, storing nothing.
    const refused = await h.app.inject({
      method: 'POST',
      url: url.replace('s3cret', 'guess'),
      payload: { id: 'W2' },
    });
    expect(refused.json()).toEqual({ ok: false });
    expect(await rowsOf(botId, 'orders')).toHaveLength(1);
  });

  it('unknown names and bots are 404, bad input 400, a failing script 422; one name per bot', async () => {
    const botId = await bot(null);
    expect((await putScript(botId, 'hook', 'WEBHOOK "ping"\nx = 1 / 0')).statusCode).toBe(201);
    const post = (url: string, payload: object = {}) => h.app.inject({ method: 'POST', url, payload });
    expect((await post(`/v1/public/bots/${botId}/webhooks/pong`)).statusCode).toBe(404);
    expect((await post(`/v1/public/bots/${crypto.randomUUID()}/webhooks/ping`)).statusCode).toBe(404);
    expect((await post(`/v1/public/bots/not-a-uuid/webhooks/ping`)).statusCode).toBe(400);
    expect((await post(`/v1/public/bots/${botId}/webhooks/..%2Fadmin`)).statusCode).toBe(400);
    expect((await post(`/v1/public/bots/${botId}/webhooks/ping`, { a: 'x\u0000' })).statusCode).toBe(400);
    const failed = await post(`/v1/public/bots/${botId}/webhooks/ping`);
    expect(failed.statusCode).toBe(422);
    expect(failed.json().detail).toContain("The webhook's script stopped");
    const twice = await putScript(botId, 'other', 'WEBHOOK "PING"\nTALK 1');
    expect(twice.statusCode).toBe(409);
  });

  it("the script reads the caller's headers but not their cookies or credentials", async () => {
    const botId = await bot(null);
    expect((await putScript(botId, 'echo', 'WEBHOOK "echo-headers"\nRETURN headers')).statusCode).toBe(201);
    const res = await h.app.inject({
      method: 'GET',
      url: `/v1/public/bots/${botId}/webhooks/echo-headers`,
      headers: {
        authorization: 'Bearer caller-token',
        'proxy-authorization': 'Basic cHJveHk=',
        cookie: 'sid=1',
        'x-signature': 'sig-1',
      },
    });
    expect(res.statusCode).toBe(200);
    const seen = res.json();
    expect(seen['x-signature']).toBe('sig-1');
    expect(
      Object.keys(seen).filter((name) => /^(authorization|proxy-authorization|cookie)$/.test(name)),
    ).toEqual([]);
  });

  it("a failing script's reason is not told to the anonymous caller, only a request id to find it by", async () => {
    const botId = await bot(null);
    const script = `WEBHOOK "leaky"
secret = "k-secret-9"
IF params.how = "divide" THEN
  x = 1 / 0
END IF
x = GET "not a url?api_key=" & secret`;
    expect((await putScript(botId, 'leaky', script)).statusCode).toBe(201);
    for (const how of ['divide', 'fetch']) {
      const res = await h.app.inject({
        method: 'GET',
        url: `/v1/public/bots/${botId}/webhooks/leaky?how=${how}`,
      });
      expect(res.statusCode).toBe(422);
      const problem = res.json();
      expect(problem.detail).toBe(
        "The webhook's script stopped with an error; its owner can find why in the script's runs.",
      );
      expect(problem.requestId).toEqual(expect.any(String));
      expect(res.body).not.toMatch(/k-secret|line \d|division|not a URL/i);
    }
  });
});
