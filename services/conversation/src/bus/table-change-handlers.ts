import { subscribeEvent } from '@conduit/bus';
import { conversationEvents } from '@conduit/contracts';
import type { BackgroundTask } from '@conduit/runtime';
import { loggableError } from '@conduit/service-kit';
import { sql } from 'drizzle-orm';
import { processedEvents } from '../db/schema.js';
import type { ConversationDeps } from '../deps.js';
import { recordHandlerRunStart } from '../domain/handlers/handler-runs.js';
import { runHandler } from '../domain/handlers/run-handler.js';

/** The durable consumer (and the prefix of its claims in processed_events), as it always was. */
const DURABLE = 'conversation-bot-table-handlers';

interface HandlerRow extends Record<string, unknown> {
  bot_id: string;
  owner_user_id: string;
  team_id: string | null;
  org_id: string | null;
  tool_id: string;
  name: string;
  script: string;
}

/**
 * conversation.bot_table.changed: runs each of the bot's scripts that waits for this change (ON
 * INSERT OF "table", ...) with `table`, `change`, `row` and `rowId` as its variables, as the bot's
 * owner. A handler's scripts make HTTP calls that may take minutes, so none runs inside a database
 * transaction or one event's handlers beside a redelivery of it: each handler is claimed first (its
 * own row in processed_events, committed before it runs, with the run's `running` record), and the
 * consumer heartbeats while it works. So a handler runs at most once per change: a crash in the
 * middle of one drops the rest of that run (what it wrote stays; its record reads as interrupted
 * once its time limit has passed), and a redelivery runs only the handlers not yet claimed. Each
 * run is recorded for the bot's managers (bot_handler_runs); a handler that fails is not retried:
 * it would fail the same way.
 * Changes the handlers make themselves (`byHandler`) run none.
 */
export const tableChangeHandlers: BackgroundTask<ConversationDeps> = {
  name: 'bot table handlers',
  async start(deps) {
    return subscribeEvent(deps.bus, {
      event: conversationEvents.botTableChanged,
      durable: DURABLE,
      handler: async ({ id, data }) => {
        if (data.byHandler) return;
        const wanted = JSON.stringify([{ table: data.table, events: [data.change] }]);
        const handlers = await deps.db.execute<HandlerRow>(
          sql`select * from conversation.bot_table_handlers(${data.botId}, ${wanted}::jsonb)`,
        );
        for (const handler of handlers) {
          const bot = {
            id: handler.bot_id,
            ownerUserId: handler.owner_user_id,
            teamId: handler.team_id,
            orgId: handler.org_id,
          };
          // The claim and the run's `running` record commit together: a handler that starts is
          // on record, even when its process is killed before the end.
          const run = await recordHandlerRunStart(
            deps,
            bot,
            { kind: 'on', toolId: handler.tool_id, eventId: id },
            async (tx) =>
              (
                await tx
                  .insert(processedEvents)
                  .values({ consumer: `${DURABLE}:${handler.tool_id}`, eventId: id })
                  .onConflictDoNothing()
                  .returning({ eventId: processedEvents.eventId })
              ).length > 0,
          );
          if (!run) continue;
          const outcome = await runHandler(
            deps,
            bot,
            handler.script,
            { table: data.table, change: data.change, row: data.row as never, rowId: data.rowId },
            run,
          );
          const fields = { botId: bot.id, handler: handler.name, eventId: id, output: outcome.output.length };
          if (outcome.ok) deps.log.info(fields, 'bot table handler ran');
          else
            deps.log.warn({ ...fields, reason: outcome.message }, 'bot table handler stopped with an error');
        }
      },
      onError: (error) =>
        deps.log.warn(
          { err: loggableError(error), consumer: DURABLE },
          'bot table change not handled; it will be redelivered',
        ),
    });
  },
};
