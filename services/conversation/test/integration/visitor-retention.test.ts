import { startWorkerProcess } from '@conduit/runtime';
import { createLogger } from '@conduit/service-kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pruneAppVisitors } from '../../src/domain/apps/visitor-retention.js';
import { conversationService } from '../../src/service.js';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';

// Widget visitors are kept APP_VISITOR_RETENTION, then removed by the worker's job with what only
// they own (sessions, messages, memories), while the app and younger visitors stay.

let h: ConversationHarness;
const ORIGIN = 'https://shop.example.com';
type Who = Awaited<ReturnType<ConversationHarness['tokens']['mint']>>;
let owner: Who;

beforeAll(async () => {
  h = await startConversationHarness({
    env: { APP_VISITOR_RETENTION: '30d', APP_VISITOR_PRUNE_EVERY: '1s', RPC_TIMEOUT: '1s' },
  });
  owner = await h.tokens.mint({ orgId: crypto.randomUUID() });
}, 60_000);
afterAll(() => h?.close());

async function call(method: string, url: string, headers: Record<string, string>, payload?: object) {
  return h.app.inject({ method: method as 'GET', url, headers, ...(payload && { payload }) });
}

/** A published app on ORIGIN; answers its id and public key. */
async function newApp() {
  const bot = await call('POST', '/v1/bots', owner.headers, { name: 'Helper' });
  expect(bot.statusCode, bot.body).toBe(201);
  const app = await call('POST', '/v1/apps', owner.headers, {
    name: 'Site chat',
    status: 'published',
    botId: bot.json().id,
  });
  expect(app.statusCode, app.body).toBe(201);
  const allowed = await call('POST', `/v1/apps/${app.json().id}/restricted-urls`, owner.headers, {
    url: ORIGIN,
  });
  expect(allowed.statusCode, allowed.body).toBe(201);
  return app.json() as { id: string; publicKey: string };
}

/** A visitor who chatted once: their id and session id. */
async function visit(publicKey: string) {
  const admitted = await call('POST', `/v1/public/apps/${publicKey}/visitor`, { origin: ORIGIN });
  expect(admitted.statusCode, admitted.body).toBe(201);
  const headers = { origin: ORIGIN, authorization: `Bearer ${admitted.json().token}` };
  const session = await call('POST', `/v1/public/apps/${publicKey}/sessions`, headers, {});
  expect(session.statusCode, session.body).toBe(201);
  const sessionId = session.json().session.id as string;
  const sent = await call('POST', `/v1/public/apps/${publicKey}/sessions/${sessionId}/messages`, headers, {
    text: 'Hello',
  });
  expect(sent.statusCode, sent.body).toBe(201);
  return { visitorId: admitted.json().visitorId as string, sessionId };
}

const rowsOf = async (visitorId: string, sessionId: string) => {
  const [row] = await h.admin`
    select (select count(*)::int from conversation.app_visitors where id = ${visitorId}) as visitors,
           (select count(*)::int from conversation.sessions where user_id = ${visitorId}) as sessions,
           (select count(*)::int from conversation.message_history where session_id = ${sessionId}) as messages`;
  return row as { visitors: number; sessions: number; messages: number };
};

/** Makes a visitor look admitted, and last active, `days` ago. */
const age = (visitorId: string, days: number) => h.admin`
  with v as (update conversation.app_visitors set created_at = now() - make_interval(days => ${days})
             where id = ${visitorId})
  update conversation.sessions set started_at = now() - make_interval(days => ${days}),
                                   last_activity_at = now() - make_interval(days => ${days})
  where user_id = ${visitorId}`;

it("removes visitors past the retention with their sessions and messages, on the worker's schedule", async () => {
  const app = await newApp();
  const old = await visit(app.publicKey);
  const recent = await visit(app.publicKey);
  const returning = await visit(app.publicKey);
  expect(await rowsOf(old.visitorId, old.sessionId)).toMatchObject({ visitors: 1, sessions: 1 });
  expect((await rowsOf(old.visitorId, old.sessionId)).messages).toBeGreaterThan(0);
  await age(old.visitorId, 31);
  await age(recent.visitorId, 29);
  // Admitted long ago, but a session of theirs was active within the retention: kept.
  await age(returning.visitorId, 31);
  await h.admin`update conversation.sessions set last_activity_at = now() - interval '1 day'
                where user_id = ${returning.visitorId}`;

  const worker = await startWorkerProcess(conversationService, {
    env: h.env,
    log: createLogger({ service: 'conversation-worker-test', level: 'silent' }),
  });
  try {
    const deadline = Date.now() + 30_000;
    while ((await rowsOf(old.visitorId, old.sessionId)).visitors > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 250));
  } finally {
    await worker.close();
  }
  expect(await rowsOf(old.visitorId, old.sessionId)).toEqual({ visitors: 0, sessions: 0, messages: 0 });
  for (const kept of [recent, returning]) {
    const rows = await rowsOf(kept.visitorId, kept.sessionId);
    expect(rows).toMatchObject({ visitors: 1, sessions: 1 });
    expect(rows.messages).toBeGreaterThan(0);
  }
  const [apps] = await h.admin`select count(*)::int as n from conversation.apps where id = ${app.id}`;
  expect(apps!.n).toBe(1);
});

it('works through many visitors a batch at a time and leaves accounts’ own sessions alone', async () => {
  const app = await newApp();
  const visitors = await Promise.all(Array.from({ length: 5 }, () => visit(app.publicKey)));
  for (const { visitorId } of visitors) await age(visitorId, 40);
  const bot = await call('POST', '/v1/bots', owner.headers, { name: 'Own' });
  const own = await call('POST', `/v1/bots/${bot.json().id}/sessions`, owner.headers, {});
  expect(own.statusCode, own.body).toBe(201);
  await h.admin`update conversation.sessions set last_activity_at = now() - interval '90 days'
                where user_id = ${owner.userId}`;

  expect(await pruneAppVisitors(h.deps, new Date(), 2)).toBe(5);
  for (const { visitorId, sessionId } of visitors)
    expect(await rowsOf(visitorId, sessionId)).toEqual({ visitors: 0, sessions: 0, messages: 0 });
  const [mine] =
    await h.admin`select count(*)::int as n from conversation.sessions where user_id = ${owner.userId}`;
  expect(mine!.n).toBeGreaterThan(0);
  expect(await pruneAppVisitors(h.deps)).toBe(0);
});

it('refuses a retention no longer than a visitor token lives', async () => {
  const { loadEnv } = await import('../../src/env.js');
  expect(() => loadEnv({ APP_VISITOR_RETENTION: '1h', APP_VISITOR_TOKEN_TTL: '1h' })).toThrow(
    /APP_VISITOR_RETENTION/,
  );
});
