import { DomainError } from '@conduit/errors';
import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { compileQuery } from '../../src/domain/metrics/compiler/compile-query.js';
import { resolveDateRange } from '../../src/domain/metrics/compiler/date-range.js';
import { explorationQuery } from '../../src/domain/metrics/compiler/exploration-query.js';
import { conduitCubes } from '../../src/domain/metrics/cubes/conduit-schema.js';
import { parseCubeFile } from '../../src/domain/metrics/cubes/cube-schema.js';

const schema = parseCubeFile(
  `
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
      largest: { type: max, sql: "{CUBE}.amount", filters: [{ sql: "{CUBE}.status = 'paid'" }, { sql: "{CUBE}.amount > 0" }] }
    dimensions:
      status: { type: string, sql: "{CUBE}.status" }
      amount: { type: number, sql: "{CUBE}.amount" }
      createdAt: { type: time, sql: "{CUBE}.created_at" }
      gift: { type: boolean, sql: "{CUBE}.gift" }
    joins:
      customers:
        relationship: many_to_one
        sql: "{CUBE}.customer_id = {customers}.id"
    segments:
      paid: { sql: "{CUBE}.status = 'paid'" }
  - name: customers
    sql: "select id, country from shop.customers"
    dimensions:
      country: { type: string, sql: "{CUBE}.country" }
`,
  'yaml',
);

const dialect = new PgDialect();
const now = new Date('2026-03-10T12:00:00Z');
const compile = (query: Record<string, unknown>, rowCap = 5000) => {
  const compiled = compileQuery(schema, explorationQuery.parse(query), { now, rowCap });
  return { ...compiled, ...dialect.sqlToQuery(compiled.statement) };
};

describe('compiling a query to one parameterized statement', () => {
  it.each([
    ['orders.count', 'count(*) as "orders.count"'],
    ['orders.paidCount', `count(*) filter (where ("orders".status = 'paid')) as "orders.paidCount"`],
    ['orders.customers', 'count(distinct ("orders".customer_id)) as "orders.customers"'],
    ['orders.revenue', 'sum(("orders".amount)) as "orders.revenue"'],
    ['orders.averageAmount', 'avg(("orders".amount)) as "orders.averageAmount"'],
    ['orders.smallest', 'min(("orders".amount)) as "orders.smallest"'],
    [
      'orders.largest',
      `max(("orders".amount)) filter (where ("orders".status = 'paid') and ("orders".amount > 0)) as "orders.largest"`,
    ],
  ])('%s', (measure, expected) => {
    const { sql, params, columns } = compile({ measures: [measure] });
    expect(sql).toBe(
      `select ${expected}\nfrom "shop"."orders" as "orders"\norder by "${measure}" desc\nlimit $1`,
    );
    expect(params).toEqual([1001]);
    expect(columns).toEqual([{ name: measure, member: measure, type: 'number', title: expect.any(String) }]);
  });

  it.each(['minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'])('granularity %s', (granularity) => {
    const { sql, params, columns } = compile({
      measures: ['orders.count'],
      timeDimension: { dimension: 'orders.createdAt', granularity },
      timeZone: 'Asia/Kolkata',
    });
    expect(sql).toBe(
      `select date_trunc('${granularity}', (("orders".created_at))::timestamptz, $1) as "orders.createdAt.${granularity}", count(*) as "orders.count"\n` +
        `from "shop"."orders" as "orders"\ngroup by 1\norder by "orders.createdAt.${granularity}" asc\nlimit $2`,
    );
    expect(params).toEqual(['Asia/Kolkata', 1001]);
    expect(columns[0]).toMatchObject({ name: `orders.createdAt.${granularity}`, type: 'time' });
  });

  it('puts every value, the time zone and the range in parameters, joins what the query names, filters measures after grouping', () => {
    const { sql, params } = compile({
      measures: ['orders.revenue'],
      dimensions: ['customers.country', 'orders.gift'],
      segments: ['orders.paid'],
      timeDimension: { dimension: 'orders.createdAt', granularity: 'day', dateRange: 'last 7 days' },
      timeZone: 'America/New_York',
      filters: [
        { member: 'orders.status', operator: 'equals', values: ["paid' or '1'='1", 'refunded'] },
        { member: 'orders.status', operator: 'contains', values: ['50%_off'] },
        { member: 'orders.amount', operator: 'gte', values: ['10.5'] },
        { member: 'orders.gift', operator: 'set' },
        { member: 'orders.revenue', operator: 'gt', values: ['100'] },
        { member: 'orders.createdAt', operator: 'inDateRange', values: ['2026-03-01', '2026-03-09'] },
      ],
      order: [{ member: 'orders.revenue', direction: 'desc' }],
      limit: 50,
    });
    expect(sql).toContain(
      'from "shop"."orders" as "orders"\nleft join (select id, country from shop.customers) as "customers" on ("orders".customer_id = "customers".id)',
    );
    expect(sql).toContain(`("orders".status) in ($`);
    expect(sql).toContain(`("orders".status) ilike $`);
    expect(sql).toContain(`("orders".status = 'paid')`);
    expect(sql).toContain('\ngroup by 1, 2, 3\nhaving sum(("orders".amount)) > $');
    expect(sql).toContain('order by "orders.revenue" desc\nlimit $');
    expect(sql).not.toContain("1'='1");
    expect(params).toEqual(
      expect.arrayContaining([
        "paid' or '1'='1",
        'refunded',
        '%50\\%\\_off%',
        '10.5',
        '100',
        'America/New_York',
        // last 7 days: the seven whole local days before today (2026-03-10 in New York)
        '2026-03-03 00:00:00',
        '2026-03-10 00:00:00',
        '2026-03-01 00:00:00',
        '2026-03-10 00:00:00',
        51,
      ]),
    );
  });

  it('caps the limit at the row cap and asks for one row more', () => {
    expect(compile({ dimensions: ['orders.status'], limit: 10_000 }, 200).params).toEqual([201]);
  });

  it.each([
    [{ measures: ['orders.nothing'] }, 422, 'measures[0]'],
    [{ measures: ['orders.status'] }, 422, 'measures[0]'],
    [{ dimensions: ['orders.count'] }, 422, 'dimensions[0]'],
    [{ measures: ['orders.__proto__'] }, 422, 'measures[0]'],
    [{ measures: ['orders.constructor'] }, 422, 'measures[0]'],
    [
      { measures: ['orders.count'], timeDimension: { dimension: 'orders.status', granularity: 'day' } },
      422,
      'timeDimension.dimension',
    ],
    [{ measures: ['orders.count'], order: [{ member: 'orders.status' }] }, 422, 'order[0].member'],
    [
      {
        measures: ['orders.count'],
        filters: [{ member: 'orders.amount', operator: 'equals', values: ['1; drop table x'] }],
      },
      400,
      'filters[0].values[0]',
    ],
    [
      {
        measures: ['orders.count'],
        filters: [{ member: 'orders.gift', operator: 'equals', values: ['yes'] }],
      },
      400,
      'filters[0].values[0]',
    ],
    [
      {
        measures: ['orders.count'],
        filters: [{ member: 'orders.amount', operator: 'contains', values: ['1'] }],
      },
      422,
      'filters[0].operator',
    ],
    [
      { measures: ['orders.count'], filters: [{ member: 'orders.status', operator: 'gt', values: ['a'] }] },
      422,
      'filters[0].operator',
    ],
    [
      { measures: ['orders.count'], filters: [{ member: 'orders.status', operator: 'equals' }] },
      400,
      'filters[0].values',
    ],
    [
      { measures: ['orders.count'], filters: [{ member: 'orders.gift', operator: 'set', values: ['x'] }] },
      400,
      'filters[0].values',
    ],
    [{ measures: ['orders.count'], timeZone: "UTC'); drop table x; --" }, 400, 'timeZone'],
    [{ measures: ['orders.count'], timeZone: '+05:30' }, 400, 'timeZone'],
    [
      {
        measures: ['orders.count'],
        timeDimension: { dimension: 'orders.createdAt', dateRange: 'since forever' },
      },
      400,
      '',
    ],
    [
      {
        measures: ['orders.count'],
        timeDimension: { dimension: 'orders.createdAt', dateRange: ['2026-02-30', '2026-03-01'] },
      },
      400,
      '',
    ],
    [{ measures: ['orders.count'], dimensions: ['customers.country'], filters: [] }, 200, ''],
    [{}, 422, 'measures'],
  ])('refuses %j with %i (%s)', (query, status, path) => {
    if (status === 200) return void expect(() => compile(query)).not.toThrow();
    let error: unknown;
    try {
      compile(query);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe(status === 400 ? 'bad_request' : 'unprocessable');
    expect((error as DomainError).detail).toContain(path);
  });

  it('refuses queries whose member names, operators, granularity or direction are not what they should be', () => {
    for (const query of [
      { measures: ['orders.count; drop table x'] },
      { measures: ['"orders"."count"'] },
      {
        measures: ['orders.count'],
        timeDimension: { dimension: 'orders.createdAt', granularity: "day') --" },
      },
      {
        measures: ['orders.count'],
        filters: [{ member: 'orders.status', operator: 'equals or 1=1', values: ['a'] }],
      },
      { measures: ['orders.count'], order: [{ member: 'orders.count', direction: 'desc; drop table x' }] },
      { measures: ['orders.count'], limit: '1; drop table x' },
    ])
      expect(explorationQuery.safeParse(query).success).toBe(false);
  });

  it('compiles the shipped schema of Conduit metrics', () => {
    const compiled = compileQuery(
      conduitCubes,
      explorationQuery.parse({
        measures: ['events.count', 'events.users', 'events.messages', 'events.failedWorkflowRuns'],
        dimensions: ['events.type'],
        timeDimension: { dimension: 'events.occurredAt', granularity: 'day', dateRange: 'this month' },
      }),
      { now, rowCap: 100 },
    );
    expect(compiled.columns.map((c) => c.name)).toEqual([
      'events.type',
      'events.occurredAt.day',
      'events.count',
      'events.users',
      'events.messages',
      'events.failedWorkflowRuns',
    ]);
    expect(() =>
      compileQuery(conduitCubes, explorationQuery.parse({ measures: ['events.count', 'counters.total'] }), {
        now,
        rowCap: 100,
      }),
    ).toThrow('No join leads from events to counters');
  }, 10_000);
});

describe('relative date ranges in a time zone', () => {
  const local = (range: Parameters<typeof resolveDateRange>[0], zone: string, at: string) => {
    const r = resolveDateRange(range, zone, new Date(at));
    return [r.from, r.to].map((b) => ('local' in b ? b.local : b.instant));
  };

  it('reads "today" and "yesterday" on the zone\'s calendar, not UTC\'s', () => {
    // 20:00 UTC on 9 March is already 10 March in Kolkata (UTC+05:30), still 9 March in New York.
    expect(local('today', 'Asia/Kolkata', '2026-03-09T20:00:00Z')).toEqual([
      '2026-03-10 00:00:00',
      '2026-03-11 00:00:00',
    ]);
    expect(local('today', 'America/New_York', '2026-03-09T20:00:00Z')).toEqual([
      '2026-03-09 00:00:00',
      '2026-03-10 00:00:00',
    ]);
    expect(local('yesterday', 'Asia/Kolkata', '2026-03-09T20:00:00Z')).toEqual([
      '2026-03-09 00:00:00',
      '2026-03-10 00:00:00',
    ]);
    // 02:00 UTC on 1 January is still 31 December in New York.
    expect(local('this year', 'America/New_York', '2027-01-01T02:00:00Z')).toEqual([
      '2026-01-01 00:00:00',
      '2027-01-01 00:00:00',
    ]);
  });

  it('counts whole local periods before the current one for "last N ..."', () => {
    // Monday 9 March 2026 in New York, the day after clocks went forward.
    expect(local('last 7 days', 'America/New_York', '2026-03-09T15:00:00Z')).toEqual([
      '2026-03-02 00:00:00',
      '2026-03-09 00:00:00',
    ]);
    expect(local('last week', 'America/New_York', '2026-03-09T15:00:00Z')).toEqual([
      '2026-03-02 00:00:00',
      '2026-03-09 00:00:00',
    ]);
    expect(local('this week', 'America/New_York', '2026-03-08T15:00:00Z')).toEqual([
      '2026-03-02 00:00:00',
      '2026-03-09 00:00:00',
    ]);
    expect(local('last 3 months', 'Asia/Kolkata', '2026-01-15T00:00:00Z')).toEqual([
      '2025-10-01 00:00:00',
      '2026-01-01 00:00:00',
    ]);
    expect(local('this month', 'Asia/Kolkata', '2026-02-28T19:00:00Z')).toEqual([
      '2026-03-01 00:00:00',
      '2026-04-01 00:00:00',
    ]);
    expect(local('last quarter', 'America/New_York', '2026-04-01T03:00:00Z')).toEqual([
      '2025-10-01 00:00:00',
      '2026-01-01 00:00:00',
    ]);
    expect(local('LAST  2  Years', 'UTC', '2026-06-01T00:00:00Z')).toEqual([
      '2024-01-01 00:00:00',
      '2026-01-01 00:00:00',
    ]);
  });

  it('counts hours and minutes as elapsed time back from the current local hour or minute, across DST', () => {
    // 8 March 2026, New York: clocks jumped from 02:00 EST to 03:00 EDT at 07:00Z. At 04:20 EDT the
    // last six hours began at 21:00 EST: seven hours on the wall clock, six real ones.
    expect(local('last 6 hours', 'America/New_York', '2026-03-08T08:20:30.500Z')).toEqual([
      '2026-03-08T02:00:00.000Z',
      '2026-03-08T08:00:00.000Z',
    ]);
    // 1 November 2026: 01:00-02:00 happens twice. At 01:30 EST (the second time), the last hour is
    // the first 01:00-02:00, in EDT.
    expect(local('last hour', 'America/New_York', '2026-11-01T06:30:00Z')).toEqual([
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T06:00:00.000Z',
    ]);
    expect(local('Last 3 Hours', 'America/New_York', '2026-11-01T06:30:00Z')).toEqual([
      '2026-11-01T03:00:00.000Z',
      '2026-11-01T06:00:00.000Z',
    ]);
    // Kolkata's hours start at half past on UTC's clocks.
    expect(local('this hour', 'Asia/Kolkata', '2026-03-08T08:20:00Z')).toEqual([
      '2026-03-08T07:30:00.000Z',
      '2026-03-08T08:30:00.000Z',
    ]);
    expect(local('last 2 hours', 'Asia/Kathmandu', '2026-03-08T08:20:00Z')).toEqual([
      '2026-03-08T06:15:00.000Z',
      '2026-03-08T08:15:00.000Z',
    ]);
    expect(local('last 30 minutes', 'Asia/Kolkata', '2026-03-08T08:20:30.500Z')).toEqual([
      '2026-03-08T07:50:00.000Z',
      '2026-03-08T08:20:00.000Z',
    ]);
    expect(local('this minute', 'UTC', '2026-03-08T08:20:30.500Z')).toEqual([
      '2026-03-08T08:20:00.000Z',
      '2026-03-08T08:21:00.000Z',
    ]);
    expect(local('last minute', 'UTC', '2026-03-08T08:20:30.500Z')).toEqual([
      '2026-03-08T08:19:00.000Z',
      '2026-03-08T08:20:00.000Z',
    ]);
    for (const bad of [
      'last 0 hours',
      'last 9000 hours',
      'last 600000 minutes',
      'next hour',
      'last 1.5 hours',
    ])
      expect(() => resolveDateRange(bad, 'UTC', new Date())).toThrow(DomainError);
  });

  it('takes absolute dates (the end day included), local times and instants', () => {
    expect(local(['2026-03-01', '2026-03-08'], 'America/New_York', '2026-01-01T00:00:00Z')).toEqual([
      '2026-03-01 00:00:00',
      '2026-03-09 00:00:00',
    ]);
    expect(
      local(['2026-03-08T01:30', '2026-03-08 03:30:00'], 'America/New_York', '2026-01-01T00:00:00Z'),
    ).toEqual(['2026-03-08 01:30', '2026-03-08 03:30:00']);
    expect(
      local(['2026-03-08T06:00:00Z', '2026-03-08T12:00:00+05:30'], 'UTC', '2026-01-01T00:00:00Z'),
    ).toEqual(['2026-03-08T06:00:00.000Z', '2026-03-08T06:30:00.000Z']);
  });
});
