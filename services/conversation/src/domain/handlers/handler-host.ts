import {
  type HostInput,
  type KeywordRefusals,
  mailRecipients,
  saveFromUnstructuredWith,
  type Value,
} from '@conduit/basic';
import { mailAttachments } from '@conduit/bot-files';
import { botMailKeywords } from '@conduit/bus';
import { type ActorContext, type Transaction, withActor } from '@conduit/db';
import { createOutboundHttp, scriptHttpKeywords } from '@conduit/outbound-http';
import { sandboxKeywords } from '@conduit/sandbox';
import type { Logger } from '@conduit/service-kit';
import type { ConversationDeps } from '../../deps.js';
import type { BotRow } from '../bots/bot-access.js';
import { readConfiguration, settingsMap } from '../configuration/bot-configuration.js';
import { fileKeywords } from '../dialog/file-keywords.js';
import { requestMailAs } from '../dialog/request-mail.js';
import { completeForService } from '../llm/complete-for-service.js';
import { readBotMemory, writeBotMemory } from '../memories/memories.js';
import { tableKeywords } from '../tables/table-keywords.js';

/** The lines an ON or WEBHOOK script TALKs or PRINTs, kept for its log (and a webhook's answer). */
export const MAX_OUTPUT_LINES = 100;

/** The bot's owner (and its team, for a team bot): whom an ON or WEBHOOK script acts as. */
export function botOwnerContext(bot: Pick<BotRow, 'ownerUserId' | 'teamId' | 'orgId'>): ActorContext {
  const teams = bot.teamId ? [bot.teamId] : [];
  return { userId: bot.ownerUserId, orgId: bot.orgId, teamIds: teams, writableTeamIds: teams };
}

/** Why an ON or WEBHOOK script may not use a keyword: it runs with no chat and no user. */
const NO_CHAT =
  'does not apply to an ON or WEBHOOK script: it runs with nobody in a chat to answer or to offer it to';
const NO_USER =
  "does not apply to an ON or WEBHOOK script: it acts as the bot's owner with no user talking to the bot, so there is no user to remember";
const NO_SESSION_KNOWLEDGE =
  'does not apply to an ON or WEBHOOK script: knowledge bases are linked to a chat session, which it has none of';

/**
 * The keywords an ON or WEBHOOK script fails to compile with (refusedKeywords of @conduit/basic),
 * each saying why: everything handlerHost leaves out.
 */
export const HANDLER_REFUSALS: KeywordRefusals = {
  hear: `${NO_CHAT}; take what it needs from row, body or params`,
  addSuggestion: NO_CHAT,
  clearSuggestions: NO_CHAT,
  useTool: NO_CHAT,
  clearTools: NO_CHAT,
  useModel: `${NO_CHAT}; its LLM calls use the bot owner's model`,
  getUserMemory: NO_USER,
  setUserMemory: NO_USER,
  remember: NO_USER,
  recall: NO_USER,
  setUserFact: NO_USER,
  userFacts: NO_USER,
  useKb: NO_SESSION_KNOWLEDGE,
  clearKb: NO_SESSION_KNOWLEDGE,
  find: NO_SESSION_KNOWLEDGE,
  useWebsite: NO_SESSION_KNOWLEDGE,
  addBot: `${NO_CHAT}: bots are added to a chat`,
  delegateToBot:
    "does not apply to an ON or WEBHOOK script: other bots are reached as a chat's user, and it has none",
  transferConversation: `${NO_CHAT}: there is no conversation to transfer`,
  broadcastToBots: `${NO_CHAT}: bots are added to a chat`,
  useConnection: "is for a bot's automations (integration connections live in the workflow engine)",
};

/**
 * The BASIC host of a bot's ON and WEBHOOK scripts. Nobody is talking to the bot, so the script
 * acts as the bot's owner, as an automation does: the bot's tables (an ON script's changes marked
 * `byHandler`, so they run no handler again), its memory, the HTTP keywords through the outbound
 * guard, RUN JAVASCRIPT, LLM and SAVE FROM UNSTRUCTURED with the bot's model (its llm-model setting, else the owner's) (charged to the
 * bot's team, else its owner, as an automation's are), SEND MAIL, CREATE DRAFT and ADD MEMBER as
 * the owner, through the same implementations dialogs and automations use. What needs a chat or a
 * user (HEAR, user memories, suggestions, ...) is refused when the script is saved
 * (HANDLER_REFUSALS); a script saved before that stops with HOST_UNAVAILABLE naming the keyword.
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
  /** SET CONTEXT / BEGIN SYSTEM PROMPT: the system text of the script's LLM calls. */
  let context: string | undefined;
  const team = bot.teamId;
  /** The bot's `llm-model` setting, read once per run: its LLM calls use the model its dialogs do. */
  let model: Promise<string | undefined> | undefined;
  const botModel = () =>
    (model ??= inTx(async (tx) =>
      settingsMap(await readConfiguration(tx, bot.id))
        .get('llm-model')
        ?.trim(),
    ));
  const complete = async (system: string | undefined, prompt: string) => {
    const configured = await botModel();
    return (
      await completeForService(deps, {
        ...(configured ? { model: configured } : {}),
        userId: bot.ownerUserId,
        orgId: bot.orgId,
        ...(team ? { teams: { [team]: 'viewer' as const } } : {}),
        payer: team ? { type: 'team', id: team } : { type: 'user', id: bot.ownerUserId },
        ...(system ? { system } : {}),
        prompt,
        maxTokens: deps.env.LLM_MAX_TOKENS,
      })
    ).text;
  };
  const mail = botMailKeywords(deps.bus, {
    botId: bot.id,
    ownerUserId: bot.ownerUserId,
    timeoutMs: deps.env.RPC_TIMEOUT,
  });
  return {
    talk: write,
    print: write,
    llm: (prompt) => complete(context, prompt),
    setContext: async (text) => {
      context = text.slice(0, 8000);
    },
    setSystemPrompt: async (text) => {
      context = text.slice(0, 8000);
    },
    saveFromUnstructured: saveFromUnstructuredWith(({ system, text }) => complete(system, text)),
    // Committed to the outbox as the bot's owner, for the email service (as a dialog's SEND MAIL).
    sendMail: async (to, subject, body, files) =>
      requestMailAs(
        inTx,
        { userId: bot.ownerUserId, sessionId: null, orgId: bot.orgId },
        { sessionId: null, botId: bot.id, userId: bot.ownerUserId },
        {
          to,
          subject,
          body,
          attachments: mailAttachments(files, {
            botId: bot.id,
            ownerUserId: bot.ownerUserId,
            teamId: bot.teamId,
          }),
        },
      ),
    createDraft: (to, subject, body) => mail.createDraft(mailRecipients(to), subject, body),
    addMember: (email, team) => mail.addMember(email, team),
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
    // The bot's files, as its owner (as in its dialogs and automations).
    ...fileKeywords(deps, bot),
  };
}
