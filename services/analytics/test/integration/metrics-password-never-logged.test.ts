import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { startHttp } from '@conduit/runtime';
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

// A data source's password, through everything that can go wrong with it, at the most talkative
// log level: it is in no log line, no outbox event and no job.
const PASSWORD = `never-logged-${randomUUID()}`;
let database: TestDatabase;
let external: TestDatabase;
let http: Awaited<ReturnType<typeof startHttp>>;
let tokens: Awaited<ReturnType<typeof createTokenMint>>;
const lines: string[] = [];
const redisPrefix = testRedisPrefix();
const namespace = testBusNamespace();

beforeAll(async () => {
  database = await createTestDatabase([{ schema: SCHEMA, migrationsDir }]);
  external = await createTestDatabase([]);
  const env = loadEnv({
    NODE_ENV: 'test',
    DATABASE_URL: database.adminUrl,
    REDIS_URL: localServices.redisUrl,
    NATS_URL: localServices.natsUrl,
    BUS_NAMESPACE: namespace,
    REDIS_KEY_PREFIX: redisPrefix,
    METRICS_ALLOWED_HOSTS: '127.0.0.1',
    METRICS_STATEMENT_TIMEOUT: '500ms',
  });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ service: 'analytics-log-test', level: 'trace' }, sink);
  tokens = await createTokenMint();
  http = await startHttp(analyticsService, { env, log, overrides: { verifier: tokens.verifier } });
}, 90_000);

afterAll(async () => {
  await http?.close();
  await deleteBusStreams(namespace);
  await deleteRedisKeys(redisPrefix);
  await database?.drop();
  await external?.drop();
});

it('keeps the password out of every log line, event and job, whatever happens to the source', async () => {
  const team = randomUUID();
  const { token } = await tokens.mint({ teams: { [team]: 'owner' } });
  const url = new URL(external.adminUrl);
  const connection = {
    host: '127.0.0.1',
    port: Number(url.port || 5432),
    database: url.pathname.slice(1),
    user: decodeURIComponent(url.username),
    tlsMode: 'disable',
  };
  const call = (method: 'POST' | 'PATCH' | 'DELETE', path: string, payload?: object) =>
    http.app.inject({ method, url: path, headers: bearer(token), ...(payload && { payload }) });
  const create = (conn: object) =>
    call('POST', '/v1/metrics/datasources', {
      teamId: team,
      name: 'X',
      connection: conn,
      password: PASSWORD,
    });

  expect((await create({ ...connection, database: 'no_such_database_here' })).statusCode).toBe(422);
  expect((await create({ ...connection, port: 1 })).statusCode).toBe(422);
  expect((await create({ ...connection, host: '10.9.8.7' })).statusCode).toBe(422);
  expect((await create({ ...connection, tlsMode: 'require' })).statusCode).toBe(422);
  const source = await create(connection);
  expect(source.statusCode).toBe(201);
  const id = source.json().id;
  const schema = await call('POST', '/v1/metrics/dataschemas', {
    datasourceId: id,
    name: 'S',
    code: 'cubes: [{ name: s, sql: "select 1 as n from pg_sleep(2)", dimensions: { n: { type: number, sql: "{CUBE}.n" } }, measures: { c: { type: count } } }]',
  });
  expect(schema.statusCode).toBe(201);
  const run = (q: object) => call('POST', '/v1/metrics/query', { dataschemaId: schema.json().id, query: q });
  expect((await run({ measures: ['s.c'] })).statusCode).toBe(422); // the statement timeout
  expect((await run({ measures: ['s.nope'] })).statusCode).toBe(422);
  expect(
    (
      await call('PATCH', `/v1/metrics/datasources/${id}`, {
        connection: { port: 1 },
        password: `${PASSWORD}x`,
      })
    ).statusCode,
  ).toBe(422);
  expect((await call('PATCH', `/v1/metrics/datasources/${id}`, { password: PASSWORD })).statusCode).toBe(200);
  expect((await call('DELETE', `/v1/metrics/datasources/${id}`)).statusCode).toBe(204);

  expect(lines.length).toBeGreaterThan(10);
  expect(lines.filter((line) => line.includes(PASSWORD))).toEqual([]);
  const admin = postgres(database.adminUrl, { max: 1, onnotice: () => {} });
  try {
    const outbox = await admin`select payload::text as payload from analytics.outbox`;
    expect(outbox.filter((row) => String(row.payload).includes(PASSWORD))).toEqual([]);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const redis = new Redis(localServices.redisUrl);
  try {
    const keys = await redis.keys(`${redisPrefix}*`);
    for (const key of keys)
      if ((await redis.type(key)) === 'string') expect(await redis.get(key)).not.toContain(PASSWORD);
  } finally {
    redis.disconnect();
  }
}, 60_000);
