import {
  createTestDatabase,
  deleteBusStreams,
  deleteRedisKeys,
  localServices,
  type TestDatabase,
  testBusNamespace,
  testRedisPrefix,
} from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  type ServicePackage,
  type ServiceProcess,
  startServiceProcess,
} from '../src/service-process.js';

// The cluster as a client meets it, each service its own process: sign up and in through the
// gateway, chat with a bot, and read the activity back from analytics, which learnt it from the
// bus (identity's and conversation's outboxes, relayed to JetStream, recorded by its worker).
let database: TestDatabase;
const namespace = testBusNamespace();
const redisPrefix = testRedisPrefix();
const started: ServiceProcess[] = [];
let gatewayUrl: string;
let analyticsUrl: string;

beforeAll(async () => {
  database = await createTestDatabase([]);
  const env = {
    NODE_ENV: 'test',
    DATABASE_URL: database.adminUrl,
    REDIS_URL: localServices.redisUrl,
    NATS_URL: localServices.natsUrl,
    BUS_NAMESPACE: namespace,
    REDIS_KEY_PREFIX: redisPrefix,
    LOG_LEVEL: 'info',
  };
  const [identityPort, conversationPort, analyticsPort, gatewayPort] = await Promise.all(
    Array.from({ length: 4 }, () => freePort()),
  );
  const urls = {
    IDENTITY_URL: `http://127.0.0.1:${identityPort}`,
    CONVERSATION_URL: `http://127.0.0.1:${conversationPort}`,
    ANALYTICS_URL: `http://127.0.0.1:${analyticsPort}`,
  };
  const start = async (name: ServicePackage, entry: 'server' | 'worker', extra: Record<string, string>) => {
    const service = startServiceProcess(name, entry, { ...env, ...urls, ...extra });
    started.push(service);
    await service.waitForOutput(entry === 'server' ? 'listening' : 'worker running', 90_000);
  };
  await Promise.all([
    start('@conduit/identity', 'server', { IDENTITY_PORT: String(identityPort) }),
    start('@conduit/conversation', 'server', { CONVERSATION_PORT: String(conversationPort) }),
    start('@conduit/analytics', 'server', { ANALYTICS_PORT: String(analyticsPort) }),
  ]);
  await Promise.all([
    start('@conduit/analytics', 'worker', {}),
    start('@conduit/gateway', 'server', { GATEWAY_PORT: String(gatewayPort) }),
  ]);
  gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  analyticsUrl = urls.ANALYTICS_URL;
}, 150_000);

afterAll(async () => {
  for (const service of started) service.kill('SIGTERM');
  await Promise.all(started.map((service) => service.exited));
  await deleteBusStreams(namespace);
  await deleteRedisKeys(redisPrefix);
  await database?.drop();
}, 60_000);

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
async function call<T = Record<string, any>>(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${gatewayUrl}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as T };
}

async function signUp(email: string) {
  const res = await call('POST', '/v1/auth/register', undefined, {
    email,
    password: 'correct horse battery staple',
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.accessToken as string;
}

describe('analytics through the gateway', () => {
  it("counts a user's sign-up, chat session and messages, per bot, in their own and their organization's numbers", async () => {
    const ann = await signUp(`ann-${namespace}@example.com`);
    const bot = await call('POST', '/v1/bots', ann, { name: 'Helper' });
    expect(bot.status).toBe(201);
    const session = await call('POST', `/v1/bots/${bot.body.id}/sessions`, ann, {});
    expect(session.status).toBe(201);
    for (const text of ['hello', 'how are you?'])
      expect(
        (await call('POST', `/v1/sessions/${session.body.session.id}/messages`, ann, { text })).status,
      ).toBe(201);

    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const messagesByBot = async () => {
      const res = await call(
        'GET',
        `/v1/analytics/series?metric=messages&interval=hour&groupBy=bot&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
        ann,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.series.map((s: { group: string; total: number }) => [s.group, s.total]);
    };
    // Two messages of Ann's and two replies of the bot's.
    await expect.poll(messagesByBot, { timeout: 30_000, interval: 250 }).toEqual([[bot.body.id, 4]]);

    const mine = await call('GET', '/v1/analytics/usage/me', ann);
    expect(mine.status).toBe(200);
    expect(mine.body.totals).toMatchObject({
      sign_ups: 1,
      sign_ins: 1,
      sessions_started: 1,
      messages: 4,
      bot_replies: 2,
    });
    // Ann owns the organization registration made her: she reads its numbers too.
    const organization = await call('GET', '/v1/analytics/usage/organization', ann);
    expect(organization.status).toBe(200);
    expect(organization.body.totals.messages).toBe(4);

    // Someone else sees none of it, and nothing without a token gets through.
    const eve = await signUp(`eve-${namespace}@example.com`);
    const eves = await call('GET', '/v1/analytics/usage/organization', eve);
    expect(eves.body.totals.messages).toBe(0);
    expect((await call('GET', '/v1/analytics/usage/me')).status).toBe(401);
    const bad = await call(
      'GET',
      `/v1/analytics/series?metric=revenue&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
      ann,
    );
    expect(bad.status).toBe(400);
  }, 90_000);

  it("counts a refused sign-in for the account it names, and one for an unknown address for nobody's", async () => {
    const email = `bea-${namespace}@example.com`;
    const bea = await signUp(email);
    const refused = await call('POST', '/v1/auth/login', undefined, { email, password: 'not her password' });
    expect(refused.status).toBe(401);
    const stranger = await call('POST', '/v1/auth/login', undefined, {
      email: `nobody-${namespace}@example.com`,
      password: 'not anyone’s password',
    });
    expect(stranger.status).toBe(401);
    const failedSignIns = async () => {
      const res = await call('GET', '/v1/analytics/usage/me', bea);
      expect(res.status).toBe(200);
      return res.body.totals.failed_sign_ins;
    };
    await expect.poll(failedSignIns, { timeout: 30_000, interval: 250 }).toBe(1);
    const organization = await call('GET', '/v1/analytics/usage/organization', bea);
    expect(organization.body.totals.failed_sign_ins).toBe(1);
  }, 60_000);

  it("exposes consumer lag as Prometheus text on analytics' own port, never through the gateway", async () => {
    const metrics = await fetch(`${analyticsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    const body = await metrics.text();
    for (const stream of ['identity', 'conversation', 'knowledge', 'workflow', 'email'])
      expect(body).toMatch(new RegExp(`^analytics_consumer_up\\{stream="${stream}"\\} 1$`, 'm'));
    expect((await fetch(`${gatewayUrl}/metrics`)).status).toBe(404);
  });
});
