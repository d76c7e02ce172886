import { randomUUID } from 'node:crypto';
import {
  countRows,
  createTestDatabase,
  injectSender,
  localServices,
  probeUnstorableInput,
  type TestDatabase,
  walkPages,
} from '@conduit/testing';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalyticsHarness, startAnalyticsHarness } from '../fixtures/analytics-harness.js';

// The metrics layer on real Postgres: the "external" source is a second database on the same
// server, made here with a shop's tables, a canary table no query may change, and a function
// that writes (what a member's SQL must not be able to do).

const PASSWORD = `s3cret-${randomUUID()}`;
const teamId = randomUUID();
const otherTeamId = randomUUID();

let h: AnalyticsHarness;
let ext: TestDatabase;
let extSql: postgres.Sql;
let extName: string;
const tokens: Record<'owner' | 'admin' | 'member' | 'viewer' | 'stranger', string> = {} as never;
const answers: string[] = [];

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
type Body = any;

async function call(
  method: string,
  url: string,
  who: keyof typeof tokens,
  payload?: unknown,
): Promise<{ status: number; body: Body }> {
  const res = await h.app.inject({
    method: method as 'GET',
    url,
    headers: { authorization: `Bearer ${tokens[who]}` },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  answers.push(res.body);
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
}

const canaryCount = async () => Number((await extSql`select count(*)::int as n from canary`)[0]!.n);

const connection = () => {
  const url = new URL(ext.adminUrl);
  return {
    host: '127.0.0.1',
    port: Number(url.port || 5432),
    database: url.pathname.slice(1),
    user: decodeURIComponent(url.username),
    tlsMode: 'disable',
  };
};

const SHOP_SCHEMA = `
cubes:
  - name: orders
    sql_table: shop.orders
    measures:
      count: { type: count }
      paidCount: { type: count, filters: [{ sql: "{CUBE}.status = 'paid'" }] }
      customers: { type: count_distinct, sql: "{CUBE}.customer_id" }
      revenue: { type: sum, sql: "{CUBE}.amount" }
      averageAmount: { type: avg, sql: "{CUBE}.amount" }
      smallest: { type: min, sql: "{CUBE}.amount" }
      largest: { type: max, sql: "{CUBE}.amount" }
    dimensions:
      id: { type: number, sql: "{CUBE}.id", primary_key: true }
      status: { type: string, sql: "{CUBE}.status" }
      amount: { type: number, sql: "{CUBE}.amount" }
      createdAt: { type: time, sql: "{CUBE}.created_at" }
      gift: { type: boolean, sql: "{CUBE}.gift" }
    joins:
      customers: { relationship: many_to_one, sql: "{CUBE}.customer_id = {customers}.id" }
    segments:
      paid: { sql: "{CUBE}.status = 'paid'" }
  - name: customers
    sql_table: shop.customers
    dimensions:
      country: { type: string, sql: "{CUBE}.country" }
  - name: hours
    sql: "select t from generate_series('2026-10-30T00:00:00Z'::timestamptz, '2026-11-04T00:00:00Z'::timestamptz, interval '1 hour') as t"
    measures:
      count: { type: count }
    dimensions:
      at: { type: time, sql: "{CUBE}.t" }
  - name: numbers
    sql: "select n from generate_series(1, 100) as n"
    dimensions:
      n: { type: number, sql: "{CUBE}.n" }
`;

// Orders around local midnights: in Kolkata (UTC+05:30) and across New York's spring-forward day
// (8 March 2026 has 23 hours: 05:00Z to 04:00Z next day).
const ORDERS = [
  [1, 1, 'paid', 10, '2026-03-01T10:00:00Z', false],
  [2, 1, 'paid', 20, '2026-03-01T20:00:00Z', true],
  [3, 2, 'refunded', 30, '2026-03-08T04:30:00Z', false],
  [4, 2, 'paid', 40, '2026-03-08T05:30:00Z', null],
  [5, 3, 'paid', 50, '2026-03-09T03:30:00Z', false],
  [6, 3, 'pending', 60, '2026-03-09T04:30:00Z', false],
] as const;

let sourceId: string;
let schemaId: string;

beforeAll(async () => {
  h = await startAnalyticsHarness({
    worker: false,
    env: {
      METRICS_ALLOWED_HOSTS: '127.0.0.1,localhost',
      METRICS_STATEMENT_TIMEOUT: '1s',
      METRICS_ROW_CAP: '50',
    },
  });
  ext = await createTestDatabase([]);
  extName = new URL(ext.adminUrl).pathname.slice(1);
  extSql = postgres(ext.adminUrl, { max: 1, onnotice: () => {} });
  await extSql.unsafe(`
    create schema shop;
    create table shop.customers (id int primary key, country text not null);
    create table shop.orders (id int primary key, customer_id int, status text, amount numeric, created_at timestamptz, gift boolean);
    insert into shop.customers values (1, 'IN'), (2, 'US'), (3, 'US');
    create table canary (n int);
    insert into canary values (1);
    create function write_canary() returns int language sql volatile as $$ insert into canary values (2) returning n $$;
  `);
  for (const order of ORDERS) await extSql`insert into shop.orders values ${extSql([order as never])}`;
  for (const [role, team] of [
    ['owner', teamId],
    ['admin', teamId],
    ['member', teamId],
    ['viewer', teamId],
    ['stranger', otherTeamId],
  ] as const)
    tokens[role] = (await h.tokens.mint({ teams: { [team]: role === 'stranger' ? 'owner' : role } })).token;
}, 90_000);

afterAll(async () => {
  await extSql?.end({ timeout: 5 });
  await h?.close();
  await ext?.drop();
});

describe('the built-in source', () => {
  it('is every team’s, first among its sources, with a schema of Conduit’s metrics, and cannot be deleted', async () => {
    const sources = await call('GET', `/v1/metrics/datasources?teamId=${teamId}`, 'viewer');
    expect(sources.status).toBe(200);
    expect(sources.body.items[0]).toMatchObject({ kind: 'conduit', builtIn: true, teamId, connection: null });
    const schemas = await call('GET', `/v1/metrics/dataschemas?teamId=${teamId}`, 'member');
    const conduit = schemas.body.items[0];
    expect(conduit).toMatchObject({
      name: 'Conduit metrics',
      version: 1,
      datasourceId: sources.body.items[0].id,
    });
    expect(conduit.members.map((m: { name: string }) => m.name)).toEqual(
      expect.arrayContaining([
        'events.count',
        'events.users',
        'events.occurredAt',
        'counters.total',
        'counters.metric',
      ]),
    );
    // Listing again makes no second one.
    expect(
      (await call('GET', `/v1/metrics/datasources?teamId=${teamId}`, 'owner')).body.items.filter(
        (s: { builtIn: boolean }) => s.builtIn,
      ),
    ).toHaveLength(1);
    expect(
      (await call('DELETE', `/v1/metrics/datasources/${sources.body.items[0].id}`, 'owner')).status,
    ).toBe(409);
    expect((await call('GET', `/v1/metrics/datasources?teamId=${teamId}`, 'stranger')).status).toBe(404);
  });

  it("answers from the team's events, as far as row-level security lets the caller see them", async () => {
    const post = async (who: 'owner' | 'member', count: number) => {
      const res = await call('POST', '/v1/analytics/events', who, {
        events: Array.from({ length: count }, (_, i) => ({
          idempotencyKey: `${who}-${i}`,
          type: 'page_view',
          occurredAt: new Date(Date.now() - i * 60_000).toISOString(),
          teamId,
        })),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    };
    await post('owner', 3);
    await post('member', 2);
    const schemas = await call('GET', `/v1/metrics/dataschemas?teamId=${teamId}`, 'owner');
    const query = {
      dataschemaId: schemas.body.items[0].id,
      query: {
        measures: ['events.count', 'events.users'],
        dimensions: ['events.type'],
        timeDimension: { dimension: 'events.occurredAt', dateRange: ['2000-01-01', '2100-01-01'] },
      },
    };
    const asOwner = await call('POST', '/v1/metrics/query', 'owner', query);
    expect(asOwner.status, JSON.stringify(asOwner.body)).toBe(200);
    expect(asOwner.body.rows).toEqual([
      { 'events.type': 'client.page_view', 'events.count': 5, 'events.users': 2 },
    ]);
    // A member sees only their own events of the team; a stranger not the schema at all.
    const asMember = await call('POST', '/v1/metrics/query', 'member', query);
    expect(asMember.body.rows).toEqual([
      { 'events.type': 'client.page_view', 'events.count': 2, 'events.users': 1 },
    ]);
    expect((await call('POST', '/v1/metrics/query', 'stranger', query)).status).toBe(404);
    // The team's exact counters, for its owners and admins (a member's own are user-level rows).
    const counters = {
      dataschemaId: query.dataschemaId,
      query: { measures: ['counters.total'], dimensions: ['counters.metric'], segments: ['counters.totals'] },
    };
    expect((await call('POST', '/v1/metrics/query', 'admin', counters)).body.rows).toEqual([
      { 'counters.metric': 'page_views', 'counters.total': 5 },
    ]);
    expect((await call('POST', '/v1/metrics/query', 'member', counters)).body.rows).toEqual([]);
  });
});

describe('external PostgreSQL sources', () => {
  it('connects before saving and says why it could not', async () => {
    const add = (who: keyof typeof tokens, conn: Record<string, unknown>) =>
      call('POST', '/v1/metrics/datasources', who, {
        teamId,
        name: 'Shop',
        connection: conn,
        password: PASSWORD,
      });
    expect((await add('member', connection())).status).toBe(403);
    expect((await add('viewer', connection())).status).toBe(403);
    expect((await add('stranger', connection())).status).toBe(404);
    const blocked = await add('owner', { ...connection(), host: '10.1.2.3' });
    expect(blocked.status).toBe(422);
    expect(blocked.body.detail).toContain('private');
    const noDatabase = await add('owner', { ...connection(), database: 'no_such_database_here' });
    expect(noDatabase.status).toBe(422);
    expect(noDatabase.body.detail).toContain('does not exist');
    const noTls = await add('owner', { ...connection(), tlsMode: 'verify-full' });
    expect(noTls.status).toBe(422);
    const created = await add('admin', connection());
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ kind: 'postgres', builtIn: false, connection: connection() });
    sourceId = created.body.id;
    const [row] =
      await h.admin`select sealed_password, db_params from analytics.datasources where id = ${sourceId}`;
    expect(row!.sealed_password).not.toContain(PASSWORD);
    expect(JSON.stringify(row!.db_params)).not.toContain(PASSWORD);
  });

  it('refuses a schema with the path of what is wrong, and keeps every version', async () => {
    const save = (code: string, format = 'yaml') =>
      call('POST', '/v1/metrics/dataschemas', 'owner', {
        datasourceId: sourceId,
        name: 'Shop',
        format,
        code,
      });
    const badType = await save(SHOP_SCHEMA.replace('revenue: { type: sum', 'revenue: { type: total'));
    expect(badType.status).toBe(422);
    expect(badType.body.detail).toContain('cubes[0].measures.revenue.type');
    expect(badType.body.errors).toContainEqual({
      path: 'cubes[0].measures.revenue.type',
      message: expect.any(String),
    });
    for (const [code, path] of [
      [
        'cubes: [{ name: orders, sql_table: shop.orders, measures: { revenue: { type: sum } } }]',
        'cubes[0].measures.revenue.sql',
      ],
      ['cubes: [{ name: "bad name", sql_table: t }]', 'cubes[0].name'],
      [
        'cubes: [{ name: a, sql_table: t, joins: { b: { relationship: many_to_one, sql: "1 = 1" } } }]',
        'cubes[0].joins.b',
      ],
      ['cubes: [{ name: a, sql: "select 1; drop table canary" }]', 'cubes[0].sql'],
      [
        'cubes: [{ name: a, sql_table: t, dimensions: { x: { type: string, sql: "x -- comment" } } }]',
        'cubes[0].dimensions.x.sql',
      ],
      [
        'cubes: [{ name: a, sql_table: t, dimensions: { x: { type: string, sql: "$1" } } }]',
        'cubes[0].dimensions.x.sql',
      ],
      ['cubes: [{ name: a, sql_table: "t; drop table canary" }]', 'cubes[0].sql_table'],
      [
        'cubes: [{ name: a, sql_table: t, dimensions: { x: { type: money, sql: x } } }]',
        'cubes[0].dimensions.x.type',
      ],
      [
        'cubes: [{ name: a, sql_table: t, dimensions: { x: { type: string, sql: "{nope}.x" } } }]',
        'cubes[0].dimensions.x.sql',
      ],
      ['cubes: [{ name: a, sql_table: t }, { name: a, sql_table: u }]', 'cubes[1].name'],
      ['cubes: [ { name: a', '(top)'],
    ]) {
      const res = await save(code!);
      expect(res.status, code).toBe(422);
      expect(res.body.detail, code).toContain(path);
    }
    const json = await save(
      JSON.stringify({ cubes: [{ name: 'a', sql_table: 't', measures: { n: { type: 'count' } } }] }),
      'json',
    );
    expect(json.status).toBe(201);
    expect((await call('DELETE', `/v1/metrics/dataschemas/${json.body.id}`, 'admin')).status).toBe(204);

    expect(
      (
        await call('POST', '/v1/metrics/dataschemas', 'member', {
          datasourceId: sourceId,
          name: 'Shop',
          code: SHOP_SCHEMA,
        })
      ).status,
    ).toBe(403);
    const first = await save(
      SHOP_SCHEMA.replace(
        '    measures:\n      count: { type: count }\n',
        '    measures:\n      count: { type: count }\n      extra: { type: count }\n',
      ),
    );
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    schemaId = first.body.id;
    const second = await call('PUT', `/v1/metrics/dataschemas/${schemaId}`, 'admin', { code: SHOP_SCHEMA });
    expect(second.status).toBe(200);
    expect(second.body.version).toBe(2);
    expect(second.body.members.map((m: { name: string }) => m.name)).not.toContain('orders.extra');
    const versions = await call('GET', `/v1/metrics/dataschemas/${schemaId}/versions`, 'viewer');
    expect(versions.body.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(versions.body.items[1].members.map((m: { name: string }) => m.name)).toContain('orders.extra');
    const members = await call('GET', `/v1/metrics/dataschemas/${schemaId}/members`, 'viewer');
    expect(members.body.items).toContainEqual({
      name: 'orders.revenue',
      kind: 'measure',
      type: 'sum',
      title: 'Orders Revenue',
    });
    expect(members.body.items).toContainEqual({
      name: 'orders.paid',
      kind: 'segment',
      type: 'segment',
      title: 'Orders Paid',
    });
    expect(
      (await call('PUT', `/v1/metrics/dataschemas/${schemaId}`, 'member', { code: SHOP_SCHEMA })).status,
    ).toBe(403);
    expect((await call('GET', `/v1/metrics/dataschemas/${schemaId}`, 'stranger')).status).toBe(404);
  });

  const query = (q: Record<string, unknown>, who: keyof typeof tokens = 'viewer') =>
    call('POST', '/v1/metrics/query', who, { dataschemaId: schemaId, query: q });

  it('computes each measure type, joined through the schema, filtered and segmented', async () => {
    const all = await query({
      measures: [
        'orders.count',
        'orders.paidCount',
        'orders.customers',
        'orders.revenue',
        'orders.averageAmount',
        'orders.smallest',
        'orders.largest',
      ],
    });
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expect(all.body.rows).toEqual([
      {
        'orders.count': 6,
        'orders.paidCount': 4,
        'orders.customers': 3,
        'orders.revenue': 210,
        'orders.averageAmount': 35,
        'orders.smallest': 10,
        'orders.largest': 60,
      },
    ]);
    expect(all.body.columns.every((c: { type: string }) => c.type === 'number')).toBe(true);
    expect(all.body.sql).toMatch(/^select count\(\("orders".id\)\) as "orders.count"/);
    expect(all.body.durationMs).toBeGreaterThanOrEqual(0);
    expect(all.body.truncated).toBe(false);

    const byCountry = await query({
      measures: ['orders.revenue'],
      dimensions: ['customers.country'],
      segments: ['orders.paid'],
      filters: [{ member: 'orders.amount', operator: 'gt', values: ['10'] }],
      order: [{ member: 'customers.country', direction: 'asc' }],
    });
    expect(byCountry.body.rows).toEqual([
      { 'customers.country': 'IN', 'orders.revenue': 20 },
      { 'customers.country': 'US', 'orders.revenue': 90 },
    ]);
    const having = await query({
      measures: ['orders.count'],
      dimensions: ['orders.status'],
      filters: [{ member: 'orders.count', operator: 'gte', values: ['2'] }],
    });
    expect(having.body.rows).toEqual([{ 'orders.status': 'paid', 'orders.count': 4 }]);
    const booleans = await query({
      measures: ['orders.count'],
      dimensions: ['orders.gift'],
      order: [{ member: 'orders.gift', direction: 'asc' }],
    });
    expect(booleans.body.rows).toEqual([
      { 'orders.gift': false, 'orders.count': 4 },
      { 'orders.gift': true, 'orders.count': 1 },
      { 'orders.gift': null, 'orders.count': 1 },
    ]);
    const notSet = await query({
      measures: ['orders.count'],
      filters: [
        { member: 'orders.gift', operator: 'notSet' },
        { member: 'orders.status', operator: 'contains', values: ['AI'] },
      ],
    });
    expect(notSet.body.rows).toEqual([{ 'orders.count': 1 }]);
  });

  it('buckets by day in Kolkata and across New York’s 23-hour day, and reads relative ranges there', async () => {
    const kolkata = await query({
      measures: ['orders.count'],
      timeDimension: {
        dimension: 'orders.createdAt',
        granularity: 'day',
        dateRange: ['2026-03-01', '2026-03-02'],
      },
      timeZone: 'Asia/Kolkata',
    });
    expect(kolkata.body.rows).toEqual([
      { 'orders.createdAt.day': '2026-02-28T18:30:00.000Z', 'orders.count': 1 },
      { 'orders.createdAt.day': '2026-03-01T18:30:00.000Z', 'orders.count': 1 },
    ]);
    const newYork = await query({
      measures: ['orders.count'],
      timeDimension: {
        dimension: 'orders.createdAt',
        granularity: 'day',
        dateRange: ['2026-03-07', '2026-03-09'],
      },
      timeZone: 'America/New_York',
    });
    expect(newYork.body.rows).toEqual([
      { 'orders.createdAt.day': '2026-03-07T05:00:00.000Z', 'orders.count': 1 }, // 23:30 EST on the 7th
      { 'orders.createdAt.day': '2026-03-08T05:00:00.000Z', 'orders.count': 2 }, // the 23-hour day
      { 'orders.createdAt.day': '2026-03-09T04:00:00.000Z', 'orders.count': 1 }, // 00:30 EDT on the 9th
    ]);
    const saved = h.deps.metrics.now;
    h.deps.metrics.now = () => new Date('2026-03-09T15:00:00Z');
    try {
      const yesterday = await query({
        measures: ['orders.count'],
        timeDimension: { dimension: 'orders.createdAt', dateRange: 'yesterday' },
        timeZone: 'America/New_York',
      });
      expect(yesterday.body.rows).toEqual([{ 'orders.count': 2 }]);
      expect(yesterday.body.params).toEqual(
        expect.arrayContaining(['2026-03-08 00:00:00', '2026-03-09 00:00:00', 'America/New_York']),
      );
      const lastWeek = await query({
        measures: ['orders.count'],
        timeDimension: { dimension: 'orders.createdAt', granularity: 'week', dateRange: 'last week' },
        timeZone: 'Asia/Kolkata',
      });
      // Monday 2 March to Sunday 8 March in Kolkata: orders 3, 4 and 5 (09:00 IST on the 9th is not).
      expect(lastWeek.body.rows).toEqual([
        { 'orders.createdAt.week': '2026-03-01T18:30:00.000Z', 'orders.count': 3 },
      ]);
      // Clocks went back on 1 November 2026 in New York: "yesterday" on the 2nd is 25 hours long.
      h.deps.metrics.now = () => new Date('2026-11-02T15:00:00Z');
      const hours = (timeZone: string) =>
        query({
          measures: ['hours.count'],
          timeDimension: { dimension: 'hours.at', granularity: 'day', dateRange: 'yesterday' },
          timeZone,
        });
      expect((await hours('America/New_York')).body.rows).toEqual([
        { 'hours.at.day': '2026-11-01T04:00:00.000Z', 'hours.count': 25 },
      ]);
      expect((await hours('Asia/Kolkata')).body.rows).toEqual([
        { 'hours.at.day': '2026-10-31T18:30:00.000Z', 'hours.count': 24 },
      ]);
      // 03:10 EST, just after the change: the last six hours are six real ones, and 01:00 shows twice
      // (once in EDT, once in EST) as two buckets.
      h.deps.metrics.now = () => new Date('2026-11-01T08:10:00Z');
      const lastSix = await query({
        measures: ['hours.count'],
        timeDimension: { dimension: 'hours.at', granularity: 'hour', dateRange: 'last 6 hours' },
        timeZone: 'America/New_York',
      });
      expect(lastSix.status).toBe(200);
      expect(lastSix.body.rows.map((r: Record<string, unknown>) => r['hours.at.hour'])).toEqual([
        '2026-11-01T02:00:00.000Z', // 22:00 EDT
        '2026-11-01T03:00:00.000Z',
        '2026-11-01T04:00:00.000Z',
        '2026-11-01T05:00:00.000Z', // 01:00 EDT
        '2026-11-01T06:00:00.000Z', // 01:00 EST
        '2026-11-01T07:00:00.000Z', // 02:00 EST
      ]);
      // 13:40 in Kolkata: the last 90 minutes began at 12:10 IST (06:40Z).
      const minutes = await query({
        measures: ['hours.count'],
        timeDimension: { dimension: 'hours.at', granularity: 'minute', dateRange: 'last 90 minutes' },
        timeZone: 'Asia/Kolkata',
      });
      expect(minutes.body.rows).toEqual([
        { 'hours.at.minute': '2026-11-01T07:00:00.000Z', 'hours.count': 1 },
        { 'hours.at.minute': '2026-11-01T08:00:00.000Z', 'hours.count': 1 },
      ]);
      const thisHour = await query({
        measures: ['hours.count'],
        timeDimension: { dimension: 'hours.at', dateRange: 'this hour' },
        timeZone: 'America/New_York',
      });
      expect(thisHour.body.rows).toEqual([{ 'hours.count': 1 }]);
    } finally {
      h.deps.metrics.now = saved;
    }
  });

  it('caps rows, flags the cut, and answers a repeated query from the cache', async () => {
    const capped = await query({ dimensions: ['numbers.n'], limit: 1000 });
    expect(capped.body.rows).toHaveLength(50);
    expect(capped.body.truncated).toBe(true);
    const ten = await query({
      dimensions: ['numbers.n'],
      limit: 10,
      order: [{ member: 'numbers.n', direction: 'desc' }],
    });
    expect(ten.body.rows.map((r: Record<string, number>) => r['numbers.n'])).toEqual([
      100, 99, 98, 97, 96, 95, 94, 93, 92, 91,
    ]);
    expect(ten.body.truncated).toBe(true);
    expect(ten.body.cached).toBe(false);
    const again = await query({
      dimensions: ['numbers.n'],
      limit: 10,
      order: [{ member: 'numbers.n', direction: 'desc' }],
    });
    expect(again.body).toMatchObject({ cached: true, rows: ten.body.rows, sql: ten.body.sql });
  });

  it('refuses injection through every field of a query with a 4xx and changes nothing', async () => {
    const before = await canaryCount();
    const drop = 'drop table canary';
    const attempts: Record<string, unknown>[] = [
      { measures: [`orders.count; ${drop}`] },
      { measures: [`orders.count") from canary; ${drop}; --`] },
      { measures: ['orders.count'], dimensions: [`orders.status; ${drop}`] },
      { measures: ['orders.count'], dimensions: ['canary.n'] },
      { measures: ['orders.count'], segments: [`orders.paid or 1=1; ${drop}`] },
      {
        measures: ['orders.count'],
        filters: [{ member: `orders.status; ${drop}`, operator: 'equals', values: ['x'] }],
      },
      {
        measures: ['orders.count'],
        filters: [{ member: 'orders.status', operator: `equals; ${drop}`, values: ['x'] }],
      },
      {
        measures: ['orders.count'],
        filters: [{ member: 'orders.amount', operator: 'equals', values: [`1; ${drop}`] }],
      },
      {
        measures: ['orders.count'],
        filters: [{ member: 'orders.amount', operator: 'gt', values: [`0) or (1=1`] }],
      },
      {
        measures: ['orders.count'],
        filters: [{ member: 'orders.gift', operator: 'equals', values: [`true; ${drop}`] }],
      },
      {
        measures: ['orders.count'],
        filters: [
          {
            member: 'orders.createdAt',
            operator: 'inDateRange',
            values: [`2026-01-01'; ${drop}; --`, '2026-02-01'],
          },
        ],
      },
      { measures: ['orders.count'], order: [{ member: `orders.count; ${drop}`, direction: 'asc' }] },
      { measures: ['orders.count'], order: [{ member: 'orders.count', direction: `desc; ${drop}` }] },
      { measures: ['orders.count'], timeZone: `UTC'; ${drop}; --` },
      { measures: ['orders.count'], timeZone: `UTC') ; ${drop}` },
      {
        measures: ['orders.count'],
        timeDimension: { dimension: 'orders.createdAt', granularity: `day', now()) ; ${drop}; --` },
      },
      {
        measures: ['orders.count'],
        timeDimension: { dimension: `orders.createdAt; ${drop}`, granularity: 'day' },
      },
      {
        measures: ['orders.count'],
        timeDimension: { dimension: 'orders.createdAt', dateRange: `today'; ${drop}; --` },
      },
      {
        measures: ['orders.count'],
        timeDimension: { dimension: 'orders.createdAt', dateRange: [`2026-01-01'; ${drop}`, '2026-02-01'] },
      },
      { measures: ['orders.count'], limit: `1; ${drop}` },
      { measures: ['orders.count'], limit: 10, [`x; ${drop}`]: 1 },
    ];
    for (const attempt of attempts) {
      const res = await query(attempt);
      expect(res.status, JSON.stringify(attempt)).toBeGreaterThanOrEqual(400);
      expect(res.status, JSON.stringify(attempt)).toBeLessThan(500);
      expect(res.body.type ?? res.body.title).toBeTruthy();
    }
    // Values of a string dimension are values: a quote is part of the text looked for.
    const literal = await query({
      measures: ['orders.count'],
      filters: [{ member: 'orders.status', operator: 'equals', values: [`paid' or '1'='1`] }],
    });
    expect(literal.status).toBe(200);
    expect(literal.body.rows).toEqual([{ 'orders.count': 0 }]);
    expect(literal.body.params).toContain(`paid' or '1'='1`);
    const contains = await query({
      measures: ['orders.count'],
      filters: [{ member: 'orders.status', operator: 'contains', values: [`%'; ${drop}; --`] }],
    });
    expect(contains.body.rows).toEqual([{ 'orders.count': 0 }]);
    expect(await canaryCount()).toBe(before);
    expect((await extSql`select count(*)::int as n from shop.orders`)[0]!.n).toBe(ORDERS.length);
  });

  it('runs read-only with a statement timeout', async () => {
    const before = await canaryCount();
    const writer = await call('POST', '/v1/metrics/dataschemas', 'owner', {
      datasourceId: sourceId,
      name: 'Mischief',
      code: `cubes:
  - name: w
    sql: "select write_canary() as n"
    dimensions: { n: { type: number, sql: "{CUBE}.n" } }
  - name: slow
    sql: "select 1 as n from pg_sleep(5)"
    dimensions: { n: { type: number, sql: "{CUBE}.n" } }
  - name: updater
    sql: "select n from generate_series(1, 1) as n"
    dimensions: { n: { type: number, sql: "nextval('canary_seq')" } }`,
    });
    expect(writer.status, JSON.stringify(writer.body)).toBe(201);
    const run = (dimension: string) =>
      call('POST', '/v1/metrics/query', 'owner', {
        dataschemaId: writer.body.id,
        query: { dimensions: [dimension] },
      });
    const write = await run('w.n');
    expect(write.status).toBe(422);
    expect(write.body.detail).toContain('read');
    const started = Date.now();
    const slow = await run('slow.n');
    expect(slow.status).toBe(422);
    expect(slow.body.detail).toContain('statement timeout');
    expect(Date.now() - started).toBeLessThan(4500);
    expect((await run('updater.n')).status).toBe(422);
    expect(await canaryCount()).toBe(before);
  });

  it('saves explorations for members, runs them for viewers, hides them from strangers', async () => {
    const body = {
      dataschemaId: schemaId,
      name: 'Revenue by day',
      query: {
        measures: ['orders.revenue'],
        timeDimension: {
          dimension: 'orders.createdAt',
          granularity: 'month',
          dateRange: ['2026-03-01', '2026-03-31'],
        },
      },
    };
    expect((await call('POST', '/v1/metrics/explorations', 'viewer', body)).status).toBe(403);
    expect((await call('POST', '/v1/metrics/explorations', 'stranger', body)).status).toBe(404);
    expect(
      (
        await call('POST', '/v1/metrics/explorations', 'member', {
          ...body,
          query: { measures: ['orders.nothing'] },
        })
      ).status,
    ).toBe(422);
    const created = await call('POST', '/v1/metrics/explorations', 'member', body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id;
    const run = await call('POST', `/v1/metrics/explorations/${id}/run`, 'viewer');
    expect(run.status).toBe(200);
    expect(run.body.rows).toEqual([
      { 'orders.createdAt.month': '2026-03-01T00:00:00.000Z', 'orders.revenue': 210 },
    ]);
    expect(run.body.columns).toEqual([
      {
        name: 'orders.createdAt.month',
        member: 'orders.createdAt',
        type: 'time',
        title: 'Orders Created At (month)',
      },
      { name: 'orders.revenue', member: 'orders.revenue', type: 'number', title: 'Orders Revenue' },
    ]);
    expect((await call('POST', `/v1/metrics/explorations/${id}/run`, 'stranger')).status).toBe(404);
    expect((await call('GET', `/v1/metrics/explorations/${id}`, 'stranger')).status).toBe(404);
    expect((await call('GET', `/v1/metrics/explorations/${randomUUID()}`, 'owner')).status).toBe(404);
    expect((await call('PATCH', `/v1/metrics/explorations/${id}`, 'viewer', { name: 'x' })).status).toBe(403);
    const renamed = await call('PATCH', `/v1/metrics/explorations/${id}`, 'admin', {
      name: 'Monthly revenue',
    });
    expect(renamed.body.name).toBe('Monthly revenue');
    for (let i = 0; i < 4; i++)
      await call('POST', '/v1/metrics/explorations', 'owner', { ...body, name: `E${i}` });
    const walked = await walkPages<{ id: string }>(
      async (page) =>
        h.app.inject({
          method: 'GET',
          url: `/v1/metrics/explorations?teamId=${teamId}&${page}`,
          headers: { authorization: `Bearer ${tokens.viewer}` },
        }),
      2,
    );
    expect(walked).toHaveLength(5);
    // Every list walks page by page with the shared cursor.
    const walk = (path: string, limit: number) =>
      walkPages<{ id?: string; version?: number }>(
        async (page) =>
          h.app.inject({
            method: 'GET',
            url: `${path}${path.includes('?') ? '&' : '?'}${page}`,
            headers: { authorization: `Bearer ${tokens.viewer}` },
          }),
        limit,
      );
    expect((await walk(`/v1/metrics/datasources?teamId=${teamId}`, 1)).map((s) => s.id)).toHaveLength(2);
    expect(await walk(`/v1/metrics/dataschemas?teamId=${teamId}`, 1)).toHaveLength(3);
    expect((await walk(`/v1/metrics/dataschemas/${schemaId}/versions`, 1)).map((v) => v.version)).toEqual([
      2, 1,
    ]);
    expect((await call('DELETE', `/v1/metrics/explorations/${id}`, 'viewer')).status).toBe(403);
    expect((await call('DELETE', `/v1/metrics/explorations/${id}`, 'member')).status).toBe(204);
  });

  it('changes a source only after connecting with the new settings, and closes its connections when deleted', async () => {
    const bad = await call('PATCH', `/v1/metrics/datasources/${sourceId}`, 'owner', {
      connection: { database: 'no_such_database_here' },
    });
    expect(bad.status).toBe(422);
    expect(
      (await call('GET', `/v1/metrics/datasources/${sourceId}`, 'viewer')).body.connection.database,
    ).toBe(extName);
    const renamed = await call('PATCH', `/v1/metrics/datasources/${sourceId}`, 'admin', {
      name: 'Shop DB',
      password: `${PASSWORD}-2`,
    });
    expect(renamed.status).toBe(200);
    expect((await query({ measures: ['orders.count'], limit: 7 })).status).toBe(200);
    const open = async () =>
      Number(
        (
          await extSql`select count(*)::int as n from pg_stat_activity where datname = ${extName} and application_name = 'conduit-metrics'`
        )[0]!.n,
      );
    expect(await open()).toBeGreaterThan(0);
    expect((await call('DELETE', `/v1/metrics/datasources/${sourceId}`, 'member')).status).toBe(403);
    expect((await call('DELETE', `/v1/metrics/datasources/${sourceId}`, 'owner')).status).toBe(204);
    for (let i = 0; i < 50 && (await open()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await open()).toBe(0);
    expect((await call('GET', `/v1/metrics/dataschemas/${schemaId}`, 'owner')).status).toBe(404);
  });

  it('never answers, stores in the clear or caches the password', async () => {
    expect(answers.length).toBeGreaterThan(50);
    for (const answer of answers) expect(answer).not.toContain(PASSWORD);
    // Cached answers (and anything else of this test's Redis prefix) hold no password.
    const redis = new Redis(localServices.redisUrl);
    try {
      const keys = await redis.keys(`${h.env.REDIS_KEY_PREFIX}*`);
      expect(keys.some((key) => key.includes('metrics:result:'))).toBe(true);
      for (const key of keys)
        if ((await redis.type(key)) === 'string') expect(await redis.get(key)).not.toContain(PASSWORD);
    } finally {
      redis.disconnect();
    }
  });
});

describe('row-level security and bad input', () => {
  it('forces row-level security on every table of the metrics layer', async () => {
    const tables = await h.admin`
      select c.relname, c.relrowsecurity, c.relforcerowsecurity from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'analytics' and c.relname in ('datasources', 'dataschemas', 'dataschema_versions', 'explorations')`;
    expect(tables.map((t) => [t.relname, t.relrowsecurity, t.relforcerowsecurity]).sort()).toEqual([
      ['dataschema_versions', true, true],
      ['dataschemas', true, true],
      ['datasources', true, true],
      ['explorations', true, true],
    ]);
  });

  it('shows the runtime role only its teams’ rows, and lets only managers change sources and schemas', async () => {
    const conduitSchema = (await call('GET', `/v1/metrics/dataschemas?teamId=${teamId}`, 'viewer')).body
      .items[0];
    const saved = await call('POST', '/v1/metrics/explorations', 'member', {
      dataschemaId: conduitSchema.id,
      name: 'Events',
      query: { measures: ['events.count'] },
    });
    expect(saved.status).toBe(201);
    const app = postgres(h.database.appUrl, { max: 1, onnotice: () => {} });
    try {
      const as = async <T>(
        actor: { user: string; teams: string[]; writable?: string[]; managed?: string[] },
        fn: (tx: postgres.TransactionSql) => Promise<T>,
      ) =>
        app.begin(async (tx) => {
          await tx`select set_config('app.user_id', ${actor.user}, true), set_config('app.team_ids', ${actor.teams.join(',')}, true),
            set_config('app.writable_team_ids', ${(actor.writable ?? []).join(',')}, true),
            set_config('app.managed_team_ids', ${(actor.managed ?? []).join(',')}, true)`;
          return fn(tx);
        });
      const counts = (tx: postgres.TransactionSql) =>
        tx`select (select count(*) from analytics.datasources)::int as sources, (select count(*) from analytics.dataschemas)::int as schemas,
                  (select count(*) from analytics.dataschema_versions)::int as versions, (select count(*) from analytics.explorations)::int as explorations`;
      const owned = (
        await h.admin`select
        (select count(*) from analytics.datasources)::int as sources, (select count(*) from analytics.dataschemas)::int as schemas,
        (select count(*) from analytics.dataschema_versions)::int as versions, (select count(*) from analytics.explorations)::int as explorations`
      )[0]!;
      expect(owned.explorations).toBeGreaterThan(0);
      // No actor, or a stranger: nothing at all.
      expect((await app.begin((tx) => counts(tx)))[0]).toEqual({
        sources: 0,
        schemas: 0,
        versions: 0,
        explorations: 0,
      });
      const stranger = {
        user: randomUUID(),
        teams: [otherTeamId],
        writable: [otherTeamId],
        managed: [otherTeamId],
      };
      expect((await as(stranger, counts))[0]).toEqual({
        sources: 0,
        schemas: 0,
        versions: 0,
        explorations: 0,
      });
      // A viewer of the team sees it all (and the sealed column is the only secret, never opened by them).
      const viewer = { user: randomUUID(), teams: [teamId] };
      expect((await as(viewer, counts))[0]).toEqual(owned);
      // A member (writable, not managing) cannot add or change a source, a schema or a version.
      const member = { user: randomUUID(), teams: [teamId], writable: [teamId] };
      await expect(
        as(
          member,
          (tx) =>
            tx`insert into analytics.datasources (id, team_id, user_id, name, db_type) values (${randomUUID()}, ${teamId}, ${member.user}, 'x', 'postgres')`,
        ),
      ).rejects.toThrow(/row-level security/);
      expect(
        (await as(member, (tx) => tx`update analytics.dataschemas set name = 'taken' returning id`)).length,
      ).toBe(0);
      expect((await as(member, (tx) => tx`delete from analytics.datasources returning id`)).length).toBe(0);
      // Versions are kept: not even a manager updates or deletes one.
      const manager = { user: randomUUID(), teams: [teamId], writable: [teamId], managed: [teamId] };
      await expect(as(manager, (tx) => tx`delete from analytics.dataschema_versions`)).rejects.toThrow(
        /permission denied/,
      );
      // The built-in source is not deleted, even by a manager.
      expect(
        (
          await as(
            manager,
            (tx) => tx`delete from analytics.datasources where db_type = 'conduit' returning id`,
          )
        ).length,
      ).toBe(0);
      // Explorations of another team cannot be slipped in by a manager of this one.
      const [schema] = await h.admin`select id from analytics.dataschemas where team_id = ${teamId} limit 1`;
      await expect(
        as(
          stranger,
          (
            tx,
          ) => tx`insert into analytics.explorations (id, team_id, datasource_id, dataschema_id, user_id, name, playground_state)
          select ${randomUUID()}, ${otherTeamId}, datasource_id, id, ${stranger.user}, 'x', '{}' from analytics.dataschemas where id = ${schema!.id}`,
        ),
      ).resolves.toHaveLength(0);
      // The built-in source's reader role reads the metrics views, never the sources' table.
      await expect(
        as(manager, async (tx) => {
          await tx`set local role analytics_metrics_reader`;
          return tx`select sealed_password from analytics.datasources`;
        }),
      ).rejects.toThrow(/permission denied/);
    } finally {
      await app.end({ timeout: 5 });
    }
  });

  it('refuses text and JSON Postgres cannot store in every field of every metrics route, storing nothing', async () => {
    const document = h.app.swagger() as { paths: Record<string, unknown> };
    const metrics = {
      ...document,
      paths: Object.fromEntries(
        Object.entries(document.paths).filter(
          ([path]) =>
            path.startsWith('/v1/metrics/') && !/reports|alerts|charts|sql-credentials|chart/.test(path),
        ),
      ),
    };
    expect(Object.keys(metrics.paths).length).toBeGreaterThanOrEqual(9);
    const before = await countRows(h.admin, ['analytics']);
    const report = await probeUnstorableInput({
      document: metrics,
      send: injectSender(h.app),
      headers: { authorization: `Bearer ${tokens.owner}` },
    });
    expect(report.failures).toEqual([]);
    expect(report.probes).toBeGreaterThan(20);
    expect(await countRows(h.admin, ['analytics'])).toEqual(before);
  });
});
