import type { HostInput, Value } from '@conduit/basic';
import { type ActorContext, type Transaction, withActor } from '@conduit/db';
import { createOutboundHttp, scriptHttpKeywords } from '@conduit/outbound-http';
import { sandboxKeywords } from '@conduit/sandbox';
import type { Logger } from '@conduit/service-kit';
import type { ConversationDeps } from '../../deps.js';
import type { BotRow } from '../bots/bot-access.js';
import { readBotMemory, writeBotMemory } from '../memories/memories.js';
import { tableKeywords } from '../tables/table-keywords.js';

/** The lines an ON or WEBHOOK script TALKs or PRINTs, kept for its log (and a webhook's answer). */
export const MAX_OUTPUT_LINES = 100;

/** The bot's owner (and its team, for a team bot): whom an ON or WEBHOOK script acts as. */
export function botOwnerContext(bot: Pick<BotRow, 'ownerUserId' | 'teamId' | 'orgId'>): ActorContext {
  const teams = bot.teamId ? [bot.teamId] : [];
  return { userId: bot.ownerUserId, orgId: bot.orgId, teamIds: teams, writableTeamIds: teams };
}

/**
 * The BASIC host of a bot's ON and WEBHOOK scripts. Nobody is talking to the bot, so the script
 * acts as the bot's owner, as an automation does: the bot's tables (an ON script's changes marked
 * `byHandler`, so they run no handler again), its memory, the HTTP keywords through the outbound
 * guard. Keywords that need a chat session or a user (HEAR, user memories, suggestions, LLM calls
 * billed to a user, SEND MAIL of a session, ...) are left out: the engine stops the script with
 * HOST_UNAVAILABLE naming the keyword.
 */
export function handlerHost(
  deps: ConversationDeps,
  bot: Pick<BotRow, 'id' | 'ownerUserId' | 'teamId' | 'orgId'>,
  output: string[],
  log: Logger,
  /** An ON script's own changes run no handler; a WEBHOOK script's do, as anyone's would. */
  byHandler: boolean,
): HostInput {
  const owner = botOwnerContext(bot);
  const inTx = <T>(fn: (tx: Transaction) => Promise<T>) => withActor(deps.db, owner, fn);
  const http = createOutboundHttp({
    allow: deps.env.SCRIPT_HTTP_ALLOW,
    timeoutMs: deps.env.SCRIPT_HTTP_TIMEOUT,
    maxBytes: deps.env.SCRIPT_HTTP_MAX_BYTES,
  });
  const write = async (text: string) => {
    if (output.length < MAX_OUTPUT_LINES) output.push(text.slice(0, 2000));
    log.debug({ botId: bot.id, line: text.slice(0, 500) }, 'bot handler output');
  };
  return {
    talk: write,
    print: write,
    getBotMemory: (key) => inTx(async (tx) => (await readBotMemory(tx, bot.id, key))?.value ?? null),
    setBotMemory: async (key, value: Value) => {
      await inTx((tx) => writeBotMemory(tx, bot.id, key, value));
    },
    // Every HTTP verb (SET HEADER's headers last for this run) and the sandboxed code, as in a dialog.
    ...scriptHttpKeywords(http),
    ...sandboxKeywords(deps.env),
    ...tableKeywords(inTx, bot.id, {
      actor: { userId: bot.ownerUserId, sessionId: null, orgId: bot.orgId },
      byHandler,
    }),
  };
}
