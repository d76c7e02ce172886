import { DomainError } from '@conduit/errors';
import { createTestDatabase, type TestDatabase } from '@conduit/testing';
import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import { boolean, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseClient, keysetPage, type SortKey, uuidv7 } from '../../src/index.js';

const rows = pgTable('keyset_rows', {
  id: uuid('id').primaryKey(),
  listId: integer('list_id').notNull(),
  at: timestamp('at', { withTimezone: true }).notNull(),
  name: text('name').notNull(),
  ordinal: integer('ordinal').notNull(),
  groupId: uuid('group_id'),
  flag: boolean('flag').notNull(),
});
type Row = typeof rows.$inferSelect;

let database: TestDatabase;
let client: DatabaseClient;

beforeAll(async () => {
  database = await createTestDatabase([]);
  client = createDatabase(database.adminUrl, { max: 1 });
  await client.sql`create table keyset_rows (id uuid primary key, list_id int not null,
    at timestamptz not null, name text not null, ordinal int not null, group_id uuid, flag boolean not null)`;
  // Six rows inside one millisecond (what `now()` writes and a JS Date cannot tell apart), names
  // that repeat and sort past ASCII, ordinals out of insertion order.
  const base = '2024-05-01 10:00:00.123';
  const names = ['Zoë', 'alpha', 'Alpha', 'zoë', 'alpha', 'Ärger'];
  for (const [i, name] of names.entries())
    await client.sql`insert into keyset_rows values (${uuidv7()}, 1, ${`${base}${100 + i * 7}+00`}::timestamptz,
      ${name}, ${(i * 5) % 6}, ${i % 2 ? null : uuidv7()}, ${i % 3 === 0})`;
  // A second list the filter must keep out.
  await client.sql`insert into keyset_rows values (${uuidv7()}, 2, now(), 'other', 0, null, false)`;
});
afterAll(async () => {
  await client.close();
  await database.drop();
});

/** Every row of list 1 in `sortKey` order, read `limit` at a time by following nextCursor. */
async function walk(sortKey: SortKey, limit: number) {
  const seen: Row[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 20; pages++) {
    const page = keysetPage(sortKey, { limit, cursor });
    const found = await client.db
      .select({ ...getTableColumns(rows), pageKey: page.key })
      .from(rows)
      .where(and(eq(rows.listId, 1), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    const { items, nextCursor } = page.of(found, (row) => row);
    expect(items.length).toBeGreaterThan(0);
    seen.push(...items);
    if (!nextCursor) return seen;
    expect(nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    cursor = nextCursor;
  }
  throw new Error('the cursor never ended');
}

/** The same rows in one query, ordered by Postgres: what paging must reproduce. */
const all = (...orderBy: ReturnType<typeof sql>[]) =>
  client.db
    .select()
    .from(rows)
    .where(eq(rows.listId, 1))
    .orderBy(...orderBy);

describe('keyset pages', () => {
  it('walk timestamps that share a millisecond without skipping or repeating a row', async () => {
    const expected = await all(sql`at desc`, sql`id desc`);
    for (const limit of [1, 2, 4, 6, 7])
      expect(await walk({ by: [rows.at, rows.id], order: 'desc' }, limit)).toEqual(expected);
  });

  it('walk repeated and non-ASCII text in the column collation, and integers', async () => {
    expect(await walk({ by: [rows.name, rows.id], order: 'asc' }, 2)).toEqual(
      await all(sql`name asc`, sql`id asc`),
    );
    expect(await walk({ by: [rows.ordinal, rows.id], order: 'asc' }, 4)).toEqual(
      await all(sql`ordinal asc`, sql`id asc`),
    );
  });

  it('sort by an expression with its type, such as nulls last, and booleans', async () => {
    const groupless = { sql: sql`${rows.groupId} is null`, type: 'boolean' as const };
    expect(await walk({ by: [groupless, rows.flag, rows.id], order: 'asc' }, 1)).toEqual(
      await all(sql`group_id is null`, sql`flag`, sql`id`),
    );
  });

  it('answer a last page without a cursor', async () => {
    const page = keysetPage({ by: [rows.id], order: 'asc' }, { limit: 100 });
    const found = await client.db
      .select({ id: rows.id, pageKey: page.key })
      .from(rows)
      .orderBy(...page.orderBy)
      .limit(page.limit);
    expect(page.of(found, (row) => row.id)).toEqual({ items: found.map((row) => row.id), nextCursor: null });
  });
});

describe('a cursor this list did not give out', () => {
  const sortKey: SortKey = { by: [rows.at, rows.name, rows.ordinal, rows.id], order: 'asc' };
  const encode = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
  const good = ['2000-01-01T00:00:00.000000Z', 'alpha', 3, crypto.randomUUID()];
  const withPart = (i: number, value: unknown) => encode(good.map((part, j) => (i === j ? value : part)));

  it('is refused as bad_request, before it reaches Postgres', () => {
    const bad = [
      '%%%',
      'bm90IGpzb24',
      encode({ at: good[0] }),
      encode(good.slice(0, 3)),
      encode([...good, 1]),
      withPart(0, '2024-02-30T10:00:00.000000Z'),
      withPart(0, '0000-01-01T00:00:00.000000Z'),
      withPart(0, '2024-05-01T10:00:00.123Z'),
      withPart(0, '2024-05-01 10:00:00.123456+00'),
      withPart(0, 1714557600123),
      withPart(1, 'nul\u0000byte'),
      withPart(1, '\ud800'),
      withPart(1, null),
      withPart(2, 1.5),
      withPart(2, 2 ** 31),
      withPart(2, '3'),
      withPart(3, 'not-a-uuid'),
    ];
    for (const cursor of bad) {
      const refusal = (() => {
        try {
          keysetPage(sortKey, { limit: 10, cursor });
        } catch (error) {
          return error;
        }
      })();
      expect(refusal, cursor).toBeInstanceOf(DomainError);
      expect((refusal as DomainError).code).toBe('bad_request');
    }
  });

  it('is taken when well formed, wherever it points', async () => {
    const page = keysetPage(sortKey, { limit: 10, cursor: encode(good) });
    const found = await client.db
      .select({ id: rows.id, pageKey: page.key })
      .from(rows)
      .where(page.after)
      .orderBy(...page.orderBy)
      .limit(page.limit);
    expect(found.length).toBe(7);
  });
});
