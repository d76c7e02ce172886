import { appendEvent } from '@conduit/bus';
import { type Actor, conversationEvents, toEventActor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { outbox } from '../../db/schema.js';
import type { BotRow } from './bot-access.js';
import { programFor } from './compile-script.js';

/**
 * `conversation.bot.saved`, in the transaction that saved the bot: the workflow engine keeps the
 * bot's automation in step with its script's SET SCHEDULE. The script travels only when it has
 * one (it was compiled on save, so it compiles here).
 */
export function appendBotSaved(tx: Transaction, actor: Actor, bot: BotRow) {
  const schedule = bot.script ? programFor(bot.script).schedule : null;
  return appendEvent(
    tx,
    outbox,
    conversationEvents.botSaved,
    {
      botId: bot.id,
      orgId: bot.orgId,
      ownerUserId: bot.ownerUserId,
      teamId: bot.teamId,
      name: bot.name,
      schedule: schedule ? { cron: schedule.cron, source: schedule.source } : null,
      script: schedule ? bot.script : null,
      updatedAt: bot.updatedAt.toISOString(),
    },
    toEventActor(actor),
  );
}

/** `conversation.bot.deleted`, in the transaction that deleted the bot. */
export function appendBotDeleted(tx: Transaction, actor: Actor, bot: BotRow) {
  return appendEvent(
    tx,
    outbox,
    conversationEvents.botDeleted,
    { botId: bot.id, ownerUserId: bot.ownerUserId, teamId: bot.teamId },
    toEventActor(actor),
  );
}
