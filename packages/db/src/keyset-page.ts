import { DomainError } from '@conduit/errors';
import { asc, desc, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

/**
 * Keyset paging, the one way every list pages. A page is the rows whose sort key comes after the
 * key of the previous page's last row; the cursor is that key as Postgres rendered it (a JSON
 * array, base64url), opaque to clients. Postgres renders it, not JavaScript, because a Date would
 * drop the microseconds of a `now()` timestamp and then skip or repeat rows.
 */

/** The types a sort key may hold; each decodes only what Postgres would accept back. */
const keyTypes = {
  uuid: (value) => typeof value === 'string' && UUID.test(value),
  text: (value) => typeof value === 'string' && value.isWellFormed() && !value.includes('\u0000'),
  integer: (value) => Number.isInteger(value) && Math.abs(value as number) <= 2 ** 31 - 1,
  real: (value) => typeof value === 'number' && Number.isFinite(value),
  boolean: (value) => typeof value === 'boolean',
  'timestamp with time zone': (value) => typeof value === 'string' && isInstant(value),
} satisfies Record<string, (value: unknown) => boolean>;
export type KeyType = keyof typeof keyTypes;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INSTANT = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** Exactly the UTC form `renderPart` writes, on a day the calendar has. */
function isInstant(value: string) {
  if (!INSTANT.test(value)) return false;
  const milliseconds = `${value.slice(0, 23)}Z`;
  const date = new Date(milliseconds);
  return !Number.isNaN(date.getTime()) && date.toISOString() === milliseconds;
}

/** A not-null column, or an expression with its type (e.g. `is null` to put nulls last). */
export type SortPart = AnyPgColumn | { sql: SQL; type: KeyType };

/** What a list sorts by, most significant first, ending with something unique (often the id). */
export interface SortKey {
  by: readonly SortPart[];
  order: 'asc' | 'desc';
}

/** `?limit=&cursor=` as a list verb receives it. */
export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface KeysetPage {
  /** Select it as `pageKey` beside each row: the next cursor is made of it. */
  key: SQL<string>;
  /** The rows after the cursor (undefined on the first page); `and` it with the list's filter. */
  after: SQL | undefined;
  orderBy: SQL[];
  /** One row more than the page holds, to know whether another page follows. */
  limit: number;
  /** The page's items (rows without their `pageKey`) and the next cursor, null on the last page. */
  of<Row extends { pageKey: string }, Item>(
    rows: Row[],
    toItem: (row: Omit<Row, 'pageKey'>) => Item,
  ): { items: Item[]; nextCursor: string | null };
}

const isColumn = (part: SortPart): part is AnyPgColumn => 'getSQLType' in part;

function typeOf(part: SortPart): KeyType {
  if (!isColumn(part)) return part.type;
  const type = part.getSQLType();
  if (!(type in keyTypes)) throw new Error(`A ${type} column cannot be part of a sort key.`);
  return type as KeyType;
}

const expressionOf = (part: SortPart): SQL => (isColumn(part) ? sql`${part}` : part.sql);

/** Timestamps in one fixed UTC form with their microseconds, whatever the session's time zone. */
const renderPart = (part: SortPart) =>
  typeOf(part) === 'timestamp with time zone'
    ? sql`to_char(${expressionOf(part)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
    : expressionOf(part);

const badCursor = () =>
  new DomainError(
    'bad_request',
    'The cursor is not one this list gave out; pass nextCursor back as it came.',
  );

/** The cursor's key, checked part by part; throws bad_request for anything this list did not give. */
function decodeCursor(sortKey: SortKey, cursor: string): unknown[] {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw badCursor();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(key) || key.length !== sortKey.by.length) throw badCursor();
  sortKey.by.forEach((part, i) => {
    if (!keyTypes[typeOf(part)](key[i])) throw badCursor();
  });
  return key;
}

/**
 * The `where`, order, limit and key select of one page of a list sorted by `sortKey`, `page.limit`
 * rows after `page.cursor`. Throws bad_request for a malformed or tampered cursor.
 */
export function keysetPage(sortKey: SortKey, page: PageRequest): KeysetPage {
  const columns = sql.join(sortKey.by.map(expressionOf), sql`, `);
  const cursorKey = page.cursor ? decodeCursor(sortKey, page.cursor) : undefined;
  // One direction for the whole key, so a row comparison can walk an index.
  const after = cursorKey
    ? sql`(${columns}) ${sql.raw(sortKey.order === 'asc' ? '>' : '<')} (${sql.join(
        sortKey.by.map((part, i) => sql`${cursorKey[i]}::${sql.raw(typeOf(part))}`),
        sql`, `,
      )})`
    : undefined;
  return {
    key: sql<string>`json_build_array(${sql.join(sortKey.by.map(renderPart), sql`, `)})::text`,
    after,
    orderBy: sortKey.by.map((part) => (sortKey.order === 'asc' ? asc : desc)(expressionOf(part))),
    limit: page.limit + 1,
    of(rows, toItem) {
      const items = rows.slice(0, page.limit);
      const last = rows.length > page.limit ? items.at(-1) : undefined;
      return {
        items: items.map(({ pageKey: _, ...row }) => toItem(row)),
        nextCursor: last ? Buffer.from(last.pageKey).toString('base64url') : null,
      };
    },
  };
}
