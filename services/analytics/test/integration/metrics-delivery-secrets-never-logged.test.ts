import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { type Bus, connectBus } from '@conduit/bus';
import { startHttp, startWorkerProcess } from '@conduit/runtime';
import { createLogger } from '@conduit/service-kit';
import {
  createTestDatabase,
  deleteBusStreams,
  deleteRedisKeys,
  localServices,
  type TestDatabase,
  testBusNamespace,
  testRedisPrefix,
} from '@conduit/testing';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadEnv } from '../../src/env.js';
import { analyticsService, migrationsDir, SCHEMA } from '../../src/service.js';
import { bearer, createTokenMint } from '../fixtures/analytics-harness.js';
import { serveTeamDirectory, type TeamDirectory } from '../fixtures/identity-teams.js';
import { startWebhookSink } from '../fixtures/webhook-sink.js';

// Reports' and alerts' webhook secrets and SQL credentials' passwords, through creation, failing
// deliveries (retried and logged), a test and a revoke, with the HTTP side and the worker at the
// most talkative log level: none is in a log line, an outbox event, a job or a stored row.
let database: TestDatabase;
let http: Awaited<ReturnType<typeof startHttp>>;
let worker: Awaited<ReturnType<typeof startWorkerProcess>>;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;
let tokens: Awaited<ReturnType<typeof createTokenMint>>;
// Identity's answers about teams (the worker asks whether a report's creator still manages it).
let identityBus: Bus;
let teams: TeamDirectory;
const lines: string[] = [];
const redisPrefix = testRedisPrefix();
const namespace = testBusNamespace();

beforeAll(async () => {
  database = await createTestDatabase([{ schema: SCHEMA, migrationsDir }]);
  const env = loadEnv({
    NODE_ENV: 'test',
    DATABASE_URL: database.adminUrl,
    REDIS_URL: localServices.redisUrl,
    NATS_URL: localServices.natsUrl,
    BUS_NAMESPACE: namespace,
    REDIS_KEY_PREFIX: redisPrefix,
    METRICS_ALLOWED_HOSTS: '127.0.0.1',
    METRICS_CACHE_TTL: '0',
  });
  const out = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ service: 'analytics-secrets-test', level: 'trace' }, out);
  identityBus = await connectBus({ servers: env.NATS_URL, name: 'analytics-secrets-identity', namespace });
  teams = serveTeamDirectory(identityBus);
  tokens = teams.recording(await createTokenMint());
  sink = await startWebhookSink();
  http = await startHttp(analyticsService, { env, log, overrides: { verifier: tokens.verifier } });
  worker = await startWorkerProcess(analyticsService, { env, log });
}, 90_000);

afterAll(async () => {
  await worker?.close();
  await http?.close();
  await sink?.close();
  await teams?.close();
  await identityBus?.close();
  // The worker made the streams it reads in this test's namespace: none is left behind.
  await deleteBusStreams(namespace);
  await deleteRedisKeys(redisPrefix);
  await database?.drop();
});

async function until(check: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

it('keeps webhook secrets and SQL passwords out of every log line, event, job and row', async () => {
  const team = randomUUID();
  const { token } = await tokens.mint({ teams: { [team]: 'owner' } });
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, payload?: object) =>
    http.app.inject({ method, url: path, headers: bearer(token), ...(payload && { payload }) });
  const secrets: string[] = [];

  await call('POST', '/v1/analytics/events', {
    events: [{ idempotencyKey: '1', type: 'click', occurredAt: new Date().toISOString(), teamId: team }],
  });
  const schemas = await call('GET', `/v1/metrics/dataschemas?teamId=${team}`);
  const exploration = await call('POST', '/v1/metrics/explorations', {
    dataschemaId: schemas.json().items[0].id,
    name: 'Events',
    query: { measures: ['events.count'], dimensions: [] },
  });
  const explorationId = exploration.json().id;

  sink.fail('/down', Number.POSITIVE_INFINITY);
  const report = await call('POST', '/v1/metrics/reports', {
    explorationId,
    name: 'Down',
    schedule: '0 0 1 1 *',
    format: 'chart',
    delivery: { webhookUrl: sink.url('/down') },
  });
  secrets.push(report.json().webhookSecret);
  const rotated = await call('PATCH', `/v1/metrics/reports/${report.json().id}`, {
    rotateWebhookSecret: true,
  });
  secrets.push(rotated.json().webhookSecret);
  sink.expect('/down', rotated.json().webhookSecret);
  await call('POST', `/v1/metrics/reports/${report.json().id}/send`);
  await until(async () => {
    const runs = (await call('GET', `/v1/metrics/reports/${report.json().id}/runs`)).json().items;
    return runs[0]?.status === 'failed' && runs[0].attempts === 3;
  }, 'the report to fail three times');

  const alert = await call('POST', '/v1/metrics/alerts', {
    explorationId,
    name: 'Any',
    schedule: '0 0 1 1 *',
    conditions: [{ column: 'events.count', upper: 0 }],
    delivery: { webhookUrl: sink.url('/alert') },
  });
  secrets.push(alert.json().webhookSecret);
  sink.expect('/alert', alert.json().webhookSecret);
  await call('POST', `/v1/metrics/alerts/${alert.json().id}/test`);
  await until(async () => sink.taken('/alert').length === 1, 'the test delivery');

  const credential = await call('POST', '/v1/metrics/sql-credentials', { teamId: team, name: 'BI' });
  expect(credential.statusCode).toBe(201);
  secrets.push(credential.json().password);
  expect((await call('DELETE', `/v1/metrics/sql-credentials/${credential.json().id}`)).statusCode).toBe(204);

  expect(secrets.every((s) => typeof s === 'string' && s.length >= 32)).toBe(true);
  expect(lines.length).toBeGreaterThan(10);
  expect(lines.join('\n')).toContain('500');
  for (const secret of secrets) expect(lines.filter((line) => line.includes(secret))).toEqual([]);
  const admin = postgres(database.adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [everything] = await admin`
      select (select coalesce(string_agg(payload::text, ''), '') from analytics.outbox) ||
             (select coalesce(string_agg(to_jsonb(r)::text, ''), '') from analytics.reports r) ||
             (select coalesce(string_agg(to_jsonb(r)::text, ''), '') from analytics.report_runs r) ||
             (select coalesce(string_agg(to_jsonb(a)::text, ''), '') from analytics.alerts a) ||
             (select coalesce(string_agg(to_jsonb(e)::text, ''), '') from analytics.alert_evaluations e) ||
             (select coalesce(string_agg(to_jsonb(f)::text, ''), '') from analytics.failed_jobs f) as text`;
    for (const secret of secrets) expect(everything!.text).not.toContain(secret);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const redis = new Redis(localServices.redisUrl);
  try {
    const keys = await redis.keys(`${redisPrefix}*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const type = await redis.type(key);
      const value =
        type === 'hash'
          ? JSON.stringify(await redis.hgetall(key))
          : type === 'string'
            ? ((await redis.get(key)) ?? '')
            : type === 'list'
              ? JSON.stringify(await redis.lrange(key, 0, -1))
              : type === 'zset'
                ? JSON.stringify(await redis.zrange(key, 0, -1))
                : '';
      for (const secret of secrets) expect(value, key).not.toContain(secret);
    }
  } finally {
    redis.disconnect();
  }
}, 120_000);
