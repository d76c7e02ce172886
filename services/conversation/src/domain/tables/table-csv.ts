import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import Papa from 'papaparse';
import { botTableRows } from '../../db/bot-tables-schema.js';
import type { ConversationDeps } from '../../deps.js';
import { loadTablesBot } from './manage-tables.js';
import { checkedRow, ensureTable, findTable, keyText, type RowData, upsertMany } from './table-store.js';

// A bot table as CSV: a header of column names (in the order rows first have them; within a row,
// in JSONB's order), then one line per row. Export streams the rows a
// page at a time (each page its own read); import parses a body bounded by the service's body limit
// and stores every row in one transaction, or none.

export const MAX_IMPORT_ROWS = 20_000;
export const MAX_COLUMNS = 500;
const EXPORT_PAGE = 1000;

const cell = (v: unknown): string =>
  v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);

/**
 * The CSV of a table, as chunks of text: checks access and reads the columns first (so a refusal
 * is a problem+json before anything is sent), then yields the header and each page of rows.
 * Cells that a spreadsheet would run as a formula (=, +, -, @ first) are quoted with a leading '.
 * Throws not_found.
 */
export async function exportTableCsv(deps: ConversationDeps, actor: Actor, botId: string, name: string) {
  const { tableId, columns } = await asActor(deps.db, actor, async (tx) => {
    await loadTablesBot(tx, actor, botId, false);
    const table = await findTable(tx, botId, name);
    if (!table) throw new DomainError('not_found', 'No such table.');
    const keys = await tx.execute<{ column: string }>(sql`
      select k as "column" from ${botTableRows} r, jsonb_object_keys(r.data) with ordinality as c(k, n)
      where r.table_id = ${table.id}
      group by k order by min(r.id::text || lpad(n::text, 4, '0')) limit ${MAX_COLUMNS}`);
    return { tableId: table.id, columns: [...keys].map((k) => k.column) };
  });
  async function* chunks(): AsyncGenerator<string> {
    if (columns.length) yield Papa.unparse([columns], { newline: '\r\n', escapeFormulae: true }) + '\r\n';
    let after: string | null = null;
    for (;;) {
      const since: string | null = after;
      const page: { id: string; data: RowData }[] = await asActor(deps.db, actor, (tx) =>
        tx
          .select({ id: botTableRows.id, data: botTableRows.data })
          .from(botTableRows)
          .where(and(eq(botTableRows.tableId, tableId), since ? gt(botTableRows.id, since) : undefined))
          .orderBy(asc(botTableRows.id))
          .limit(EXPORT_PAGE),
      );
      if (page.length === 0) return;
      const data = page.map((r) => columns.map((c) => cell(r.data[c])));
      yield Papa.unparse(
        { fields: columns, data },
        { header: false, newline: '\r\n', escapeFormulae: true },
      ) + '\r\n';
      if (page.length < EXPORT_PAGE) return;
      after = page[page.length - 1]!.id;
    }
  }
  return chunks();
}

function parseCsv(text: string): { columns: string[]; rows: RowData[] } {
  const parsed = Papa.parse<Record<string, string>>(text, {
    header: true,
    delimiter: ',',
    skipEmptyLines: 'greedy',
  });
  const firstError = parsed.errors[0];
  if (firstError)
    throw new DomainError(
      'unprocessable',
      `The CSV is not valid at row ${(firstError.row ?? 0) + 1}: ${firstError.message}`,
    );
  // Papa renames a repeated header (email, email_1); a table's columns are named once.
  const renamed = (parsed.meta as { renamedHeaders?: Record<string, string> | null }).renamedHeaders;
  const repeated = renamed ? Object.values(renamed)[0] : undefined;
  if (repeated !== undefined)
    throw new DomainError('unprocessable', `The column "${repeated}" appears twice in the header`);
  const columns = parsed.meta.fields ?? [];
  if (columns.length === 0)
    throw new DomainError('unprocessable', 'The CSV needs a header row of column names');
  if (columns.length > MAX_COLUMNS)
    throw new DomainError('unprocessable', `A table has at most ${MAX_COLUMNS} columns`);
  const seen = new Set<string>();
  for (const c of columns) {
    if (!c.trim() || c.length > 200)
      throw new DomainError(
        'unprocessable',
        'Every column of the header needs a name of 1 to 200 characters',
      );
    if (seen.has(c)) throw new DomainError('unprocessable', `The column "${c}" appears twice in the header`);
    seen.add(c);
  }
  if (parsed.data.length > MAX_IMPORT_ROWS)
    throw new DomainError('payload_too_large', `One import takes at most ${MAX_IMPORT_ROWS} rows`);
  return { columns, rows: parsed.data.map((r, i) => checkedRow({ ...r }, `Row ${i + 1}`)) };
}

/**
 * Imports CSV rows into a table (created if needed). With `key`, rows upsert by that column (the
 * last of equal keys wins); with `replace`, the table's rows are deleted first. All or nothing.
 * Throws unprocessable (bad CSV, unknown key column), payload_too_large, not_found, forbidden.
 */
export async function importTableCsv(
  deps: ConversationDeps,
  actor: Actor,
  botId: string,
  name: string,
  text: string,
  options: { key?: string; replace?: boolean },
) {
  return asActor(deps.db, actor, async (tx) => {
    // Who may import is checked before the CSV is read, so strangers learn nothing from its errors.
    await loadTablesBot(tx, actor, botId, true);
    const { columns, rows } = parseCsv(text);
    const key = options.key;
    if (key !== undefined && !columns.includes(key))
      throw new DomainError('unprocessable', `The key column "${key}" is not in the CSV's header`);
    const keyed = new Map<string, RowData>();
    const unkeyed: RowData[] = [];
    for (const row of rows) {
      if (key === undefined) unkeyed.push(row);
      else keyed.set(keyText(row[key], key), row);
    }
    const table = await ensureTable(tx, botId, name);
    if (options.replace) await tx.delete(botTableRows).where(eq(botTableRows.tableId, table.id));
    await upsertMany(tx, table.id, botId, [
      ...unkeyed.map((data) => ({ key: null, data })),
      ...[...keyed].map(([k, data]) => ({ key: k, data })),
    ]);
    return { table: table.name, imported: unkeyed.length + keyed.size };
  });
}
