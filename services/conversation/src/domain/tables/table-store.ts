import { type FilterNode, parseTableFilter, tableName } from '@conduit/basic';
import { type Transaction, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, asc, eq, getTableColumns, sql } from 'drizzle-orm';
import { botTableRows, botTables } from '../../db/bot-tables-schema.js';
import { type ChangedRow, type ChangeLog, recordTableChanges } from './table-changes.js';
import { filterSql } from './table-filter-sql.js';

// The store of bot tables, shared by the BASIC host (inside the speaker's actor) and the API
// verbs (after their access checks). Names and filters are checked here whatever the caller.

/** A row is a JSON object of at most this much JSON text, so a script cannot fill the database. */
export const MAX_ROW_BYTES = 64 * 1024;
/** FIND answers at most this many rows (a script that needs more narrows its filter). */
export const MAX_FIND_ROWS = 1000;
/** MERGE takes at most this many rows in one call. */
export const MAX_MERGE_ROWS = 10_000;

export type RowData = Record<string, unknown>;

/** Throws unprocessable with the message a script author reads when the name is not a table name. */
export function checkedTableName(name: string): string {
  const checked = tableName(name);
  if (!checked.ok) throw new DomainError('unprocessable', checked.message);
  return checked.name;
}

/** Throws unprocessable when the filter does not parse (SQL attempts included). */
export function checkedFilter(filter: string): FilterNode | null {
  const parsed = parseTableFilter(filter);
  if (!parsed.ok) throw new DomainError('unprocessable', parsed.message);
  return parsed.filter;
}

export function checkedRow(data: unknown, what = 'A row'): RowData {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new DomainError('unprocessable', `${what} must be an object of columns and values`);
  if (JSON.stringify(data).length > MAX_ROW_BYTES)
    throw new DomainError('payload_too_large', `${what} may be at most ${MAX_ROW_BYTES} bytes of JSON`);
  return data as RowData;
}

/** What SAVE and MERGE upsert by: the key column's value as text. */
export function keyText(value: unknown, column: string): string {
  if (value === null || value === undefined || value === '')
    throw new DomainError('unprocessable', `The key column "${column}" is empty: a saved row needs a key`);
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (text.length > 1000)
    throw new DomainError('unprocessable', `The key of a row may be at most 1000 characters`);
  return text;
}

export async function findTable(tx: Transaction, botId: string, name: string) {
  const [table] = await tx
    .select()
    .from(botTables)
    .where(and(eq(botTables.botId, botId), eq(botTables.name, checkedTableName(name))));
  return table;
}

/** The bot's table of that name, created on first use (as General Bots' SAVE does). */
export async function ensureTable(tx: Transaction, botId: string, name: string) {
  const checked = checkedTableName(name);
  const now = new Date();
  const [created] = await tx
    .insert(botTables)
    .values({ id: uuidv7(), botId, name: checked, createdAt: now, updatedAt: now })
    .onConflictDoNothing()
    .returning();
  return created ?? (await findTable(tx, botId, checked))!;
}

/** xmax is 0 on a row version an INSERT made, not on one an ON CONFLICT update made. */
const wasInserted = sql<boolean>`(xmax = 0)`;

/** Inserts a row, or merges its columns into the row with the same key. */
export async function upsertRow(
  tx: Transaction,
  tableId: string,
  botId: string,
  key: string | null,
  data: RowData,
) {
  const now = new Date();
  const values = { id: uuidv7(), tableId, botId, key, data, createdAt: now, updatedAt: now };
  if (key === null) {
    const [row] = await tx.insert(botTableRows).values(values).returning();
    return { ...row!, inserted: true };
  }
  const [row] = await tx
    .insert(botTableRows)
    .values(values)
    .onConflictDoUpdate({
      target: [botTableRows.tableId, botTableRows.key],
      set: { data: sql`${botTableRows.data} || excluded.data`, updatedAt: now },
    })
    .returning({ ...getTableColumns(botTableRows), inserted: wasInserted });
  return row!;
}

const changed = (row: { id: string; data: RowData; inserted: boolean }): ChangedRow => ({
  id: row.id,
  data: row.data,
  change: row.inserted ? 'insert' : 'update',
});

/**
 * Inserts many rows in batches; rows with a key merge into the row with the same key. Keys must be
 * distinct (one statement cannot upsert a row twice): callers keep the last of equal keys.
 */
export async function upsertMany(
  tx: Transaction,
  tableId: string,
  botId: string,
  rows: { key: string | null; data: RowData }[],
): Promise<ChangedRow[]> {
  const now = new Date();
  const out: ChangedRow[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    const batch = rows.slice(i, i + 500).map((r) => ({
      id: uuidv7(),
      tableId,
      botId,
      key: r.key,
      data: r.data,
      createdAt: now,
      updatedAt: now,
    }));
    const written = await tx
      .insert(botTableRows)
      .values(batch)
      .onConflictDoUpdate({
        target: [botTableRows.tableId, botTableRows.key],
        set: { data: sql`${botTableRows.data} || excluded.data`, updatedAt: now },
      })
      .returning({ id: botTableRows.id, data: botTableRows.data, inserted: wasInserted });
    out.push(...written.map(changed));
  }
  return out;
}

/**
 * SAVE: the row's first column is its key. `log`, when given, records the change for the bot's
 * ON handlers (as in every verb below that changes rows).
 */
export async function saveRow(tx: Transaction, botId: string, table: string, data: unknown, log?: ChangeLog) {
  const row = checkedRow(data);
  const [first] = Object.keys(row);
  if (first === undefined) throw new DomainError('unprocessable', 'SAVE needs at least one column');
  const t = await ensureTable(tx, botId, table);
  const saved = await upsertRow(tx, t.id, botId, keyText(row[first], first), row);
  await recordTableChanges(tx, log, botId, t.name, [changed(saved)]);
  return saved;
}

export async function insertRow(
  tx: Transaction,
  botId: string,
  table: string,
  data: unknown,
  log?: ChangeLog,
) {
  const t = await ensureTable(tx, botId, table);
  const inserted = await upsertRow(tx, t.id, botId, null, checkedRow(data));
  await recordTableChanges(tx, log, botId, t.name, [changed(inserted)]);
  return inserted;
}

function requireFilter(filter: string, verb: string): FilterNode {
  const node = checkedFilter(filter);
  if (node === null)
    throw new DomainError(
      'unprocessable',
      `${verb} needs a filter (e.g. "id=7"); it never changes a whole table at once`,
    );
  return node;
}

/** UPDATE: merges the changes into every matching row; answers how many. */
export async function updateRows(
  tx: Transaction,
  botId: string,
  table: string,
  filter: string,
  changes: unknown,
  log?: ChangeLog,
) {
  const node = requireFilter(filter, 'UPDATE');
  const data = checkedRow(changes, 'The changes');
  const t = await findTable(tx, botId, table);
  if (!t) return 0;
  const updated = await tx
    .update(botTableRows)
    .set({ data: sql`${botTableRows.data} || ${JSON.stringify(data)}::jsonb`, updatedAt: new Date() })
    .where(and(eq(botTableRows.tableId, t.id), filterSql(node)))
    .returning({ id: botTableRows.id, data: botTableRows.data });
  await recordTableChanges(
    tx,
    log,
    botId,
    t.name,
    updated.map((r) => ({ ...r, change: 'update' as const })),
  );
  return updated.length;
}

export async function deleteRows(
  tx: Transaction,
  botId: string,
  table: string,
  filter: string,
  log?: ChangeLog,
) {
  const node = requireFilter(filter, 'DELETE');
  const t = await findTable(tx, botId, table);
  if (!t) return 0;
  const deleted = await tx
    .delete(botTableRows)
    .where(and(eq(botTableRows.tableId, t.id), filterSql(node)))
    .returning({ id: botTableRows.id, data: botTableRows.data });
  await recordTableChanges(
    tx,
    log,
    botId,
    t.name,
    deleted.map((r) => ({ ...r, change: 'delete' as const })),
  );
  return deleted.length;
}

/** FIND "table", "filter": the matching rows' columns, oldest first, at most MAX_FIND_ROWS. */
export async function findRows(tx: Transaction, botId: string, table: string, filter: string) {
  const node = checkedFilter(filter);
  const t = await findTable(tx, botId, table);
  if (!t) return [];
  const rows = await tx
    .select({ data: botTableRows.data })
    .from(botTableRows)
    .where(and(eq(botTableRows.tableId, t.id), filterSql(node)))
    .orderBy(asc(botTableRows.id))
    .limit(MAX_FIND_ROWS);
  return rows.map((r) => r.data);
}

/** MERGE "table", rows, "key": upserts each row by its key column (the last of equal keys wins). */
export async function mergeRows(
  tx: Transaction,
  botId: string,
  table: string,
  rows: unknown,
  keyColumn: string,
  log?: ChangeLog,
) {
  if (!Array.isArray(rows)) throw new DomainError('unprocessable', 'MERGE needs a list of rows');
  if (rows.length > MAX_MERGE_ROWS)
    throw new DomainError('payload_too_large', `MERGE takes at most ${MAX_MERGE_ROWS} rows at once`);
  const column = keyColumn.trim();
  if (!column) throw new DomainError('unprocessable', 'MERGE needs the name of its key column');
  const byKey = new Map<string, RowData>();
  rows.forEach((r, i) => {
    const row = checkedRow(r, `Row ${i + 1}`);
    byKey.set(keyText(row[column], column), row);
  });
  const t = await ensureTable(tx, botId, table);
  const written = await upsertMany(
    tx,
    t.id,
    botId,
    [...byKey].map(([key, data]) => ({ key, data })),
  );
  await recordTableChanges(tx, log, botId, t.name, written);
  return byKey.size;
}
