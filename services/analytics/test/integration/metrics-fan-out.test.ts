import { DomainError } from '@conduit/errors';
import { createTestDatabase, type TestDatabase } from '@conduit/testing';
import { PgDialect } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileQuery } from '../../src/domain/metrics/compiler/compile-query.js';
import { explorationQuery } from '../../src/domain/metrics/compiler/exploration-query.js';
import { parseCubeFile } from '../../src/domain/metrics/cubes/cube-schema.js';

// Joins that repeat rows, on real Postgres: an order with three items appears three times in
// orders ⋈ items, so a naive sum of the orders' amounts counts it three times. The compiled
// statements must give the same figures as hand-written per-table queries.

const SCHEMA = `
cubes:
  - name: customers
    sql_table: shop.customers
    measures:
      count: { type: count }
    dimensions:
      id: { type: number, sql: "{CUBE}.id", primary_key: true }
      country: { type: string, sql: "{CUBE}.country" }
    joins:
      orders: { relationship: one_to_many, sql: "{CUBE}.id = {orders}.customer_id" }
  - name: orders
    sql_table: shop.orders
    measures:
      count: { type: count }
      revenue: { type: sum, sql: "{CUBE}.amount" }
      paidRevenue: { type: sum, sql: "{CUBE}.amount", filters: [{ sql: "{CUBE}.status = 'paid'" }] }
      averageAmount: { type: avg, sql: "{CUBE}.amount" }
      customers: { type: count_distinct, sql: "{CUBE}.customer_id" }
      largest: { type: max, sql: "{CUBE}.amount" }
    dimensions:
      id: { type: number, sql: "{CUBE}.id", primary_key: true }
      status: { type: string, sql: "{CUBE}.status" }
    joins:
      items: { relationship: one_to_many, sql: "{CUBE}.id = {items}.order_id" }
  - name: items
    sql_table: shop.items
    measures:
      count: { type: count }
      quantity: { type: sum, sql: "{CUBE}.quantity" }
    dimensions:
      id: { type: number, sql: "{CUBE}.id", primary_key: true }
      category: { type: string, sql: "{CUBE}.category" }
`;

let db: TestDatabase;
let sql: postgres.Sql;
const dialect = new PgDialect();
const file = parseCubeFile(SCHEMA, 'yaml');

async function run(query: Record<string, unknown>, cubes = file) {
  const compiled = compileQuery(cubes, explorationQuery.parse(query), {
    now: new Date('2026-03-10T12:00:00Z'),
    rowCap: 1000,
  });
  const rendered = dialect.sqlToQuery(compiled.statement);
  const rows = await sql.unsafe(rendered.sql, rendered.params as never[]);
  return {
    sql: rendered.sql,
    rows: rows.map((row) =>
      Object.fromEntries(
        compiled.columns.map((c) => [
          c.name,
          c.type === 'number' && row[c.name] !== null ? Number(row[c.name]) : row[c.name],
        ]),
      ),
    ),
  };
}

beforeAll(async () => {
  db = await createTestDatabase([]);
  sql = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
  await sql.unsafe(`
    create schema shop;
    create table shop.customers (id int primary key, country text);
    create table shop.orders (id int primary key, customer_id int, status text, amount numeric);
    create table shop.items (id int primary key, order_id int, category text, quantity int);
    insert into shop.customers values (1, 'IN'), (2, 'US'), (3, 'US');
    -- customer 3 has no orders; order 13 has no items
    insert into shop.orders values (10, 1, 'paid', 100), (11, 1, 'paid', 50), (12, 2, 'refunded', 30), (13, 2, 'paid', 7);
    insert into shop.items values
      (1, 10, 'books', 1), (2, 10, 'books', 2), (3, 10, 'toys', 1),
      (4, 11, 'toys', 5),
      (5, 12, 'books', 1), (6, 12, 'books', 1);
  `);
});

afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

describe('measures across a one-to-many join', () => {
  it('a naive join of these rows would count orders once per item', async () => {
    const [naive] = await sql`select sum(o.amount)::int as revenue, count(*)::int as orders
      from shop.orders o left join shop.items i on o.id = i.order_id`;
    expect(naive).toEqual({ revenue: 100 * 3 + 50 + 30 * 2 + 7, orders: 7 });
  });

  it('sums, counts and averages each order once when items are joined, grouped by an item dimension', async () => {
    const byCategory = await run({
      measures: ['orders.revenue', 'orders.count', 'orders.averageAmount', 'items.quantity', 'items.count'],
      dimensions: ['items.category'],
      order: [{ member: 'items.category' }],
    });
    expect(byCategory.sql).toContain('"metrics:keys:0"');
    expect(byCategory.rows).toEqual([
      // orders 10 and 12 have books; 10 counts once however many book lines it has
      {
        'items.category': 'books',
        'orders.revenue': 130,
        'orders.count': 2,
        'orders.averageAmount': 65,
        'items.quantity': 5,
        'items.count': 4,
      },
      {
        'items.category': 'toys',
        'orders.revenue': 150,
        'orders.count': 2,
        'orders.averageAmount': 75,
        'items.quantity': 6,
        'items.count': 2,
      },
      // order 13 has no items: the left join keeps it under a null category
      {
        'items.category': null,
        'orders.revenue': 7,
        'orders.count': 1,
        'orders.averageAmount': 7,
        'items.quantity': null,
        'items.count': 0,
      },
    ]);
  });

  it('gives totals equal to the per-table figures with no dimension', async () => {
    const totals = await run({
      measures: [
        'orders.revenue',
        'orders.paidRevenue',
        'orders.count',
        'items.count',
        'orders.customers',
        'orders.largest',
      ],
    });
    expect(totals.rows).toEqual([
      {
        'orders.revenue': 187,
        'orders.paidRevenue': 157,
        'orders.count': 4,
        'items.count': 6,
        'orders.customers': 2,
        'orders.largest': 100,
      },
    ]);
  });

  it('counts the root cube once when the query starts on its "one" side (customers → orders → items)', async () => {
    const byCountry = await run({
      measures: ['customers.count', 'orders.revenue', 'items.quantity'],
      dimensions: ['customers.country'],
      order: [{ member: 'customers.country' }],
    });
    expect(byCountry.rows).toEqual([
      { 'customers.country': 'IN', 'customers.count': 1, 'orders.revenue': 150, 'items.quantity': 9 },
      { 'customers.country': 'US', 'customers.count': 2, 'orders.revenue': 37, 'items.quantity': 2 },
    ]);
  });

  it('filters, orders and limits on repeated measures after they are counted once', async () => {
    const big = await run({
      measures: ['orders.revenue'],
      dimensions: ['items.category'],
      filters: [
        { member: 'orders.revenue', operator: 'gt', values: ['140'] },
        { member: 'orders.status', operator: 'equals', values: ['paid'] },
      ],
      order: [{ member: 'orders.revenue', direction: 'desc' }],
      limit: 5,
    });
    // paid orders: books only in order 10 (100); toys in 10 and 11 (150)
    expect(big.rows).toEqual([{ 'items.category': 'toys', 'orders.revenue': 150 }]);
    // a filter on a repeated measure the query does not select
    const filtered = await run({
      measures: ['items.count'],
      dimensions: ['items.category'],
      filters: [{ member: 'orders.count', operator: 'gte', values: ['2'] }],
      order: [{ member: 'items.category' }],
    });
    expect(filtered.rows).toEqual([
      { 'items.category': 'books', 'items.count': 4 },
      { 'items.category': 'toys', 'items.count': 2 },
    ]);
  });

  it('sees the repetition from either side of the join, and leaves a query without one as one plain statement', async () => {
    const plain = await run({
      measures: ['items.quantity', 'orders.revenue'],
      dimensions: ['items.category'],
    });
    // Starting from items, orders is reached many-to-one, yet each order still meets all its items.
    expect(plain.sql).toContain('metrics:keys');
    const alone = await run({ measures: ['orders.revenue'], dimensions: ['orders.status'] });
    expect(alone.sql).not.toContain('metrics:keys');
    expect(alone.rows).toEqual(
      expect.arrayContaining([
        { 'orders.status': 'paid', 'orders.revenue': 157 },
        { 'orders.status': 'refunded', 'orders.revenue': 30 },
      ]),
    );
  });

  it('refuses a schema whose repeated cube has no primary key, naming the path', () => {
    let error: unknown;
    try {
      parseCubeFile(
        SCHEMA.replace('id: { type: number, sql: "{CUBE}.id", primary_key: true }\n      status', 'status'),
        'yaml',
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('unprocessable');
    expect((error as DomainError).detail).toContain('cubes[1].dimensions');
    expect((error as DomainError).detail).toContain('one_to_many join of orders and items');
  });

  it('refuses at query time, naming the path, a schema saved before primary keys were required', async () => {
    const old = structuredClone(file);
    old.cubes[1]!.dimensions.id!.primary_key = false;
    await expect(
      run({ measures: ['orders.revenue'], dimensions: ['items.category'] }, old),
    ).rejects.toMatchObject({
      code: 'unprocessable',
      detail: expect.stringMatching(/^measures\[0\]: .*orders → items.*cubes\[1\]\.dimensions/),
    });
    // min, max and count distinct need none: repeats do not change them
    const fine = await run(
      { measures: ['orders.largest', 'orders.customers'], dimensions: ['items.category'] },
      old,
    );
    expect(fine.sql).not.toContain('metrics:keys');
    expect(fine.rows).toHaveLength(3);
  });
});
