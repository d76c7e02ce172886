import { type Transaction, uuidv7 } from '@conduit/db';
import { inArray } from 'drizzle-orm';
import { executionData } from '../../db/schema.js';

/**
 * Item data over ITEM_DATA_INLINE_MAX (as JSON) lives in execution_data, not in the execution's
 * or node run's row, which keeps a reference in its place: rows stay small to lock, scan and
 * update, however large the items a node passes on.
 */
const REF = '$conduitData';
export interface SpilledRef {
  [REF]: string;
  bytes: number;
}

export const isSpilled = (value: unknown): value is SpilledRef =>
  !!value &&
  typeof value === 'object' &&
  !Array.isArray(value) &&
  typeof (value as SpilledRef)[REF] === 'string';

/** The value, or a reference to it stored apart when its JSON is longer than `inlineMax`. */
export async function spill<T>(
  tx: Transaction,
  executionId: string,
  value: T,
  inlineMax: number | undefined,
): Promise<T | SpilledRef> {
  if (inlineMax === undefined || value === null || value === undefined) return value;
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes <= inlineMax) return value;
  const id = uuidv7();
  await tx.insert(executionData).values({ id, executionId, data: value, bytes });
  return { [REF]: id, bytes };
}

/** Reads back whatever of `values` was stored apart, in one query; answers the values in order. */
export async function unspill<T = unknown>(tx: Transaction, values: unknown[]): Promise<T[]> {
  const ids = values.filter(isSpilled).map((value) => value[REF]);
  if (!ids.length) return values as T[];
  const rows = await tx
    .select({ id: executionData.id, data: executionData.data })
    .from(executionData)
    .where(inArray(executionData.id, ids));
  const byId = new Map(rows.map((row) => [row.id, row.data]));
  return values.map((value) => (isSpilled(value) ? (byId.get(value[REF]) ?? null) : value)) as T[];
}

/** Copies the data stored apart for `value` to another execution (a retry reusing a node run). */
export async function copySpilled(tx: Transaction, value: unknown, toExecutionId: string): Promise<unknown> {
  if (!isSpilled(value)) return value;
  const [data] = await unspill(tx, [value]);
  const id = uuidv7();
  await tx.insert(executionData).values({ id, executionId: toExecutionId, data, bytes: value.bytes });
  return { [REF]: id, bytes: value.bytes };
}
