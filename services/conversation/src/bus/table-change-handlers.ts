import { conversationEvents } from '@conduit/contracts';
import { consumeEvent } from '@conduit/runtime';
import { and, eq, sql } from 'drizzle-orm';
import { basicTools, bots } from '../db/schema.js';
import type { ConversationDeps } from '../deps.js';
import { actAsService, runHandler } from '../domain/handlers/run-handler.js';

/**
 * conversation.bot_table.changed: runs each of the bot's scripts that waits for this change (ON
 * INSERT OF "table", ...) with `table`, `change`, `row` and `rowId` as its variables, as the bot's
 * owner. The event commits with the change (the outbox), and this consumer's row in
 * processed_events commits once the handlers have run, so a change runs its handlers once; only a
 * crash between a handler's own writes and that commit runs them again on redelivery. A handler
 * that fails is logged with its reason and not retried: running it again would fail the same way.
 * Changes the handlers make themselves (`byHandler`) run none.
 */
export const tableChangeHandlers = consumeEvent<ConversationDeps, typeof conversationEvents.botTableChanged>({
  event: conversationEvents.botTableChanged,
  name: 'bot-table-handlers',
  async apply(deps, tx, { id, data }) {
    if (data.byHandler) return;
    await actAsService(tx);
    const [bot] = await tx.select().from(bots).where(eq(bots.id, data.botId));
    if (!bot) return;
    const wanted = JSON.stringify([{ table: data.table, events: [data.change] }]);
    const handlers = await tx
      .select({ name: basicTools.name, script: basicTools.script })
      .from(basicTools)
      .where(and(eq(basicTools.botId, bot.id), sql`${basicTools.metadata} -> 'on' @> ${wanted}::jsonb`));
    for (const handler of handlers) {
      const outcome = await runHandler(
        deps,
        bot,
        handler.script,
        {
          table: data.table,
          change: data.change,
          row: data.row as never,
          rowId: data.rowId,
        },
        'on',
      );
      const fields = { botId: bot.id, handler: handler.name, eventId: id, output: outcome.output.length };
      if (outcome.ok) deps.log.info(fields, 'bot table handler ran');
      else deps.log.warn({ ...fields, reason: outcome.message }, 'bot table handler stopped with an error');
    }
  },
});
