import type { TableEvent } from '@conduit/basic';
import { appendEvents } from '@conduit/bus';
import { conversationEvents, type EventActor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { and, eq, sql } from 'drizzle-orm';
import { basicTools, outbox } from '../../db/schema.js';

// Bot table changes that a bot's ON handlers wait for become conversation.bot_table.changed events
// in the outbox, in the transaction of the change itself: a change that commits is never without
// its event, and one rolled back never has one.

/** Who changed a table, for the events of the change. */
export interface ChangeLog {
  actor: EventActor | null;
  /** The change comes from an ON or WEBHOOK script of the bot: see botTableChanged. */
  byHandler: boolean;
}

export interface ChangedRow {
  id: string;
  data: Record<string, unknown>;
  change: TableEvent;
}

/** Does one of the bot's scripts run ON this change of this table? (One indexed look-up.) */
async function awaited(tx: Transaction, botId: string, table: string, change: TableEvent) {
  const wanted = JSON.stringify([{ table, events: [change] }]);
  const [hit] = await tx
    .select({ id: basicTools.id })
    .from(basicTools)
    .where(and(eq(basicTools.botId, botId), sql`${basicTools.metadata} -> 'on' @> ${wanted}::jsonb`))
    .limit(1);
  return hit !== undefined;
}

/** Records an event for each changed row whose kind of change a handler of the bot waits for. */
export async function recordTableChanges(
  tx: Transaction,
  log: ChangeLog | undefined,
  botId: string,
  table: string,
  rows: ChangedRow[],
): Promise<void> {
  if (!log || rows.length === 0) return;
  const kinds = [...new Set(rows.map((r) => r.change))];
  const wanted = new Set<TableEvent>();
  for (const kind of kinds) if (await awaited(tx, botId, table, kind)) wanted.add(kind);
  if (wanted.size === 0) return;
  await appendEvents(
    tx,
    outbox,
    conversationEvents.botTableChanged,
    rows
      .filter((r) => wanted.has(r.change))
      .map((r) => ({
        data: { botId, table, rowId: r.id, change: r.change, row: r.data, byHandler: log.byHandler },
        actor: log.actor,
      })),
  );
}
