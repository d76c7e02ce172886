import type { Transaction } from '@conduit/db';
import { sql } from 'drizzle-orm';
import type { EventRow } from './event-row.js';

/**
 * Records events and adds them to their counters in the caller's transaction (one statement, see
 * analytics.record_events): an event id recorded before adds nothing. Answers how many were new.
 */
export async function recordEvents(tx: Transaction, rows: readonly EventRow[]): Promise<number> {
  if (!rows.length) return 0;
  const result = await tx.execute<{ recorded: number }>(
    sql`select analytics.record_events(${JSON.stringify(rows)}::jsonb) as recorded`,
  );
  return Number(result[0]?.recorded ?? 0);
}
