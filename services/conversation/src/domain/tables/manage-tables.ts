import { asActor } from '@conduit/auth';
import { type Actor, toEventActor } from '@conduit/contracts';
import { keysetPage, type PageRequest, type Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import { botTableRows, botTables } from '../../db/bot-tables-schema.js';
import { bots } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { type BotRow, botNotFound } from '../bots/bot-access.js';
import { type ChangeLog, recordTableChanges } from './table-changes.js';
import { filterSql } from './table-filter-sql.js';
import {
  checkedFilter,
  checkedRow,
  checkedTableName,
  ensureTable,
  findTable,
  keyText,
  type RowData,
  upsertRow,
} from './table-store.js';

// Bot tables through the API. Their rows are often people's data (leads, orders), so they are the
// business of the bot's owners: a personal bot's creator; for a team bot its members read and its
// owners and admins change them. Anyone else, including people the bot is merely shared with, gets
// the 404 of a bot that does not exist.

export interface TableDto {
  name: string;
  rows: number;
  createdAt: string;
  updatedAt: string;
}

export interface RowDto {
  id: string;
  key: string | null;
  data: RowData;
  createdAt: string;
  updatedAt: string;
}

export const toRowDto = (row: typeof botTableRows.$inferSelect): RowDto => ({
  id: row.id,
  key: row.key,
  data: row.data,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

const tableNotFound = () => new DomainError('not_found', 'No such table.');
const rowNotFound = () => new DomainError('not_found', 'No such row.');

function mayRead(actor: Actor, bot: BotRow): boolean {
  if (actor.platformAdmin) return true;
  if (bot.teamId) return actor.teams[bot.teamId] !== undefined;
  return bot.ownerUserId === actor.userId;
}

function mayChange(actor: Actor, bot: BotRow): boolean {
  if (actor.platformAdmin) return true;
  if (!actor.permissions.includes('bots.write')) return false;
  if (bot.teamId) {
    const role = actor.teams[bot.teamId];
    return role === 'owner' || role === 'admin';
  }
  return bot.ownerUserId === actor.userId;
}

/**
 * The bot, when the actor may see its tables; with `change`, when they may also change them.
 * Throws not_found (not theirs), forbidden (a team member who may only read).
 */
export async function loadTablesBot(tx: Transaction, actor: Actor, botId: string, change: boolean) {
  const [bot] = await tx.select().from(bots).where(eq(bots.id, botId));
  if (!bot || !mayRead(actor, bot)) throw botNotFound();
  if (change && !mayChange(actor, bot))
    throw new DomainError(
      'forbidden',
      "Only the bot's owner, or its team's owners and admins, change its tables.",
    );
  return bot;
}

async function existingTable(tx: Transaction, botId: string, name: string) {
  const table = await findTable(tx, botId, name);
  if (!table) throw tableNotFound();
  return table;
}

/** A bot's tables by name, with their row counts. Throws not_found, bad_request (cursor). */
export async function listTables(deps: ConversationDeps, actor: Actor, botId: string, query: PageRequest) {
  const page = keysetPage({ by: [botTables.name], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await loadTablesBot(tx, actor, botId, false);
    const rows = await tx
      .select({
        ...getTableColumns(botTables),
        // Qualified by hand: inside a select list drizzle names the column without its table.
        rows: sql<number>`(select count(*)::int from ${botTableRows} r where r.table_id = "bot_tables"."id")`,
        pageKey: page.key,
      })
      .from(botTables)
      .where(and(eq(botTables.botId, botId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(
      rows,
      (t): TableDto => ({
        name: t.name,
        rows: t.rows,
        createdAt: t.createdAt.toISOString(),
        updatedAt: t.updatedAt.toISOString(),
      }),
    );
  });
}

/** Creates an empty table. Throws conflict when the bot has one of that name, unprocessable for a bad name. */
export async function createTable(deps: ConversationDeps, actor: Actor, botId: string, name: string) {
  return asActor(deps.db, actor, async (tx) => {
    await loadTablesBot(tx, actor, botId, true);
    if (await findTable(tx, botId, name))
      throw new DomainError('conflict', 'The bot already has a table of that name.');
    const table = await ensureTable(tx, botId, name);
    return {
      name: table.name,
      rows: 0,
      createdAt: table.createdAt.toISOString(),
      updatedAt: table.updatedAt.toISOString(),
    };
  });
}

/** Deletes a table and its rows. */
export async function deleteTable(deps: ConversationDeps, actor: Actor, botId: string, name: string) {
  await asActor(deps.db, actor, async (tx) => {
    await loadTablesBot(tx, actor, botId, true);
    const table = await existingTable(tx, botId, checkedTableName(name));
    await tx.delete(botTables).where(eq(botTables.id, table.id));
  });
}

/** A table's rows, oldest first, optionally filtered ("stage=won AND total>100"). */
export async function listRows(
  deps: ConversationDeps,
  actor: Actor,
  botId: string,
  name: string,
  query: PageRequest & { filter?: string },
) {
  const node = checkedFilter(query.filter ?? '');
  const page = keysetPage({ by: [botTableRows.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await loadTablesBot(tx, actor, botId, false);
    const table = await existingTable(tx, botId, name);
    const rows = await tx
      .select({ ...getTableColumns(botTableRows), pageKey: page.key })
      .from(botTableRows)
      .where(and(eq(botTableRows.tableId, table.id), filterSql(node), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toRowDto);
  });
}

/** Adds a row (a table of that name is created if needed); with a key, merges into that key's row. */
export async function addRow(
  deps: ConversationDeps,
  actor: Actor,
  botId: string,
  name: string,
  input: { key?: string | null; data: unknown },
) {
  const data = checkedRow(input.data);
  return asActor(deps.db, actor, async (tx) => {
    await loadTablesBot(tx, actor, botId, true);
    const table = await ensureTable(tx, botId, name);
    const key = input.key === undefined || input.key === null ? null : keyText(input.key, 'key');
    const row = await upsertRow(tx, table.id, botId, key, data);
    await recordTableChanges(tx, apiChange(actor), botId, table.name, [
      { id: row.id, data: row.data, change: row.inserted ? 'insert' : 'update' },
    ]);
    return toRowDto(row);
  });
}

/** A change through the API is the caller's, and runs the bot's ON handlers like a script's. */
const apiChange = (actor: Actor): ChangeLog => ({ actor: toEventActor(actor), byHandler: false });

async function rowOf(tx: Transaction, tableId: string, rowId: string) {
  const [row] = await tx
    .select()
    .from(botTableRows)
    .where(and(eq(botTableRows.tableId, tableId), eq(botTableRows.id, rowId)));
  if (!row) throw rowNotFound();
  return row;
}

export async function getRow(
  deps: ConversationDeps,
  actor: Actor,
  botId: string,
  name: string,
  rowId: string,
) {
  return asActor(deps.db, actor, async (tx) => {
    await loadTablesBot(tx, actor, botId, false);
    return toRowDto(await rowOf(tx, (await existingTable(tx, botId, name)).id, rowId));
  });
}

/** Changes a row: `data` replaces its columns, `merge` adds to them. */
export async function updateRow(
  deps: ConversationDeps,
  actor: Actor,
  botId: string,
  name: string,
  rowId: string,
  input: { data: unknown; merge?: boolean },
) {
  const data = checkedRow(input.data);
  return asActor(deps.db, actor, async (tx) => {
    await loadTablesBot(tx, actor, botId, true);
    const table = await existingTable(tx, botId, name);
    const current = await rowOf(tx, table.id, rowId);
    const next = checkedRow(input.merge ? { ...current.data, ...data } : data);
    const [row] = await tx
      .update(botTableRows)
      .set({ data: next, updatedAt: new Date() })
      .where(eq(botTableRows.id, current.id))
      .returning();
    await recordTableChanges(tx, apiChange(actor), botId, table.name, [
      { id: row!.id, data: row!.data, change: 'update' },
    ]);
    return toRowDto(row!);
  });
}

export async function deleteRow(
  deps: ConversationDeps,
  actor: Actor,
  botId: string,
  name: string,
  rowId: string,
) {
  await asActor(deps.db, actor, async (tx) => {
    await loadTablesBot(tx, actor, botId, true);
    const table = await existingTable(tx, botId, name);
    const deleted = await tx
      .delete(botTableRows)
      .where(and(eq(botTableRows.tableId, table.id), eq(botTableRows.id, rowId)))
      .returning({ id: botTableRows.id, data: botTableRows.data });
    if (deleted.length === 0) throw rowNotFound();
    await recordTableChanges(tx, apiChange(actor), botId, table.name, [{ ...deleted[0]!, change: 'delete' }]);
  });
}
