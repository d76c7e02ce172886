import type { Value } from '@conduit/basic';
import type { Transaction } from '@conduit/db';
import type { ChangeLog } from './table-changes.js';
import { deleteRows, findRows, insertRow, mergeRows, saveRow, updateRows } from './table-store.js';

/**
 * SAVE, INSERT, UPDATE, DELETE, FIND and MERGE on a bot's tables, for any BASIC host: `inTx` runs
 * each in a transaction as whoever the script acts for (the person talking to the bot, or its
 * owner for an ON or WEBHOOK script), and `log` says who changed the rows, for ON handlers.
 */
export function tableKeywords(
  inTx: <T>(fn: (tx: Transaction) => Promise<T>) => Promise<T>,
  botId: string,
  log: ChangeLog,
) {
  return {
    tableSave: (table: string, row: Value) =>
      inTx(async (tx) => (await saveRow(tx, botId, table, row, log)).data),
    tableInsert: (table: string, row: Value) =>
      inTx(async (tx) => (await insertRow(tx, botId, table, row, log)).id),
    tableUpdate: (table: string, filter: string, changes: Value) =>
      inTx((tx) => updateRows(tx, botId, table, filter, changes, log)),
    tableDelete: (table: string, filter: string) => inTx((tx) => deleteRows(tx, botId, table, filter, log)),
    tableFind: (table: string, filter: string) => inTx((tx) => findRows(tx, botId, table, filter)),
    tableMerge: (table: string, rows: Value, key: string) =>
      inTx((tx) => mergeRows(tx, botId, table, rows, key, log)),
  };
}
