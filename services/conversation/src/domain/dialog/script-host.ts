import { asActor } from '@conduit/auth';
import { type BasicHost, HostUnavailableError, mailRecipients, type Value } from '@conduit/basic';
import { mailAttachments } from '@conduit/bot-files';
import { botMailKeywords } from '@conduit/bus';
import { conversationRpc, toEventActor } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { createOutboundHttp, scriptHttpKeywords } from '@conduit/outbound-http';
import { sandboxKeywords } from '@conduit/sandbox';
import { type Logger, loggableError } from '@conduit/service-kit';
import { and, eq, sql } from 'drizzle-orm';
import { searchKnowledge, searchKnowledgeOrNothing } from '../../clients/knowledge-search-client.js';
import { basicTools, sessionToolAssociations } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { estimateTokens } from '../llm/chat-provider.js';
import { citationOf } from '../llm/offline-provider.js';
import { chatModel, modelReference } from '../llm/resolve-model.js';
import { generateMetered } from '../llm/usage-meter.js';
import { recall, remember, setUserFact, userFacts } from '../memories/bot-user-memories.js';
import { readBotMemory, readUserMemory, writeBotMemory, writeUserMemory } from '../memories/memories.js';
import {
  extrasOf,
  MAX_SUGGESTIONS,
  MAX_SYSTEM_PROMPT,
  resolveSessionModel,
  sessionSystemPrompt,
} from '../sessions/session-extras.js';
import { tableKeywords } from '../tables/table-keywords.js';
import type { Turn } from '../turns/turn.js';
import { agentKeywords } from './agent-keywords.js';
import { aiKeywords } from './ai-keywords.js';
import { fileKeywords } from './file-keywords.js';
import { requestMail } from './request-mail.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The tokens to reserve for a script: what one answer of its LLM keyword may use, if it has one. */
export const scriptTokens = (deps: ConversationDeps, script: string | null) =>
  /\b(LLM|UNSTRUCTURED|DELEGATE|BROADCAST)\b/i.test(script ?? '') ? deps.env.LLM_MAX_TOKENS : 0;

/**
 * The BASIC host of a chat session: every keyword becomes an effect in this service (memories,
 * session knowledge bases and tools), a call to another (knowledge search) or a guarded request
 * (GET / POST). TALK goes to `talk`, which the caller decides how to deliver.
 */
export function scriptHost(turn: Turn, talk: (text: string) => void): BasicHost {
  return hidingDatabaseErrors(keywordHost(turn, talk), turn.deps.log);
}

function keywordHost(turn: Turn, talk: (text: string) => void): BasicHost {
  const { deps, actor, bot, session } = turn;
  const kbs = () => (turn.context.kbs ??= []);
  const knowledgeScope = () => ({ sessionId: session.id, collectionIds: kbs().map((kb) => kb.collectionId) });

  return {
    async talk(text) {
      talk(text);
    },
    async print(text) {
      deps.log.debug({ botId: bot.id, sessionId: session.id, line: text.slice(0, 500) }, 'script PRINT');
    },
    getBotMemory: (key) =>
      asActor(deps.db, actor, async (tx) => (await readBotMemory(tx, bot.id, key))?.value ?? null),
    setBotMemory: async (key, value: Value) => {
      await asActor(deps.db, actor, (tx) => writeBotMemory(tx, bot.id, key, value));
    },
    getUserMemory: (key) =>
      asActor(deps.db, actor, async (tx) => (await readUserMemory(tx, session.userId, key))?.value ?? null),
    setUserMemory: async (key, value: Value) => {
      await asActor(deps.db, actor, (tx) => writeUserMemory(tx, session.userId, key, value));
    },
    async useKb(name) {
      // The knowledge-base RPC searches by collection id and offers no look-up by name, so names
      // are mapped in the bot's configuration (`kb.<name>,<collection id>`); an id works as is.
      // The bot's automations resolve names by the same setting (rpc.conversation.bots.knowledge_base).
      const wanted = name.trim();
      const setting = conversationRpc.knowledgeBaseSetting(wanted);
      const collectionId = UUID.test(wanted) ? wanted : turn.settings.get(setting)?.trim();
      if (!collectionId || !UUID.test(collectionId))
        throw new Error(
          `unknown knowledge base "${wanted}": map it in the bot configuration as ${setting} = <collection id>`,
        );
      if (!kbs().some((kb) => kb.collectionId === collectionId)) kbs().push({ name: wanted, collectionId });
    },
    async clearKb(name) {
      turn.context.kbs =
        name === null ? [] : kbs().filter((kb) => kb.name.toLowerCase() !== name.trim().toLowerCase());
    },
    async find(query) {
      const hits = await searchKnowledge(deps, actor, knowledgeScope(), query);
      return hits.map((hit) => ({
        content: hit.content,
        source: citationOf(hit),
        document: hit.documentName,
        headingPath: hit.headingPath,
        score: hit.score,
      }));
    },
    async useTool(name) {
      await asActor(deps.db, actor, async (tx) => {
        const [tool] = await tx
          .select({
            id: basicTools.id,
            handler: sql<boolean>`${basicTools.metadata} ?| array['on', 'webhook']`,
          })
          .from(basicTools)
          .where(and(eq(basicTools.botId, bot.id), eq(basicTools.name, name)));
        if (!tool) throw new Error(`this bot has no tool named "${name}"`);
        if (tool.handler)
          throw new Error(`"${name}" is an ON or WEBHOOK script of this bot, not a tool the LLM may call`);
        await tx
          .insert(sessionToolAssociations)
          .values({ id: uuidv7(), sessionId: session.id, toolId: tool.id, userId: session.userId })
          .onConflictDoNothing();
      });
    },
    async clearTools() {
      await asActor(deps.db, actor, (tx) =>
        tx.delete(sessionToolAssociations).where(eq(sessionToolAssociations.sessionId, session.id)),
      );
    },
    async llm(prompt) {
      const resolved = await asActor(deps.db, actor, (tx) => resolveSessionModel(tx, deps, turn));
      const system = [sessionSystemPrompt(turn), turn.context.llmContext].filter(
        (p): p is string => !!p?.trim(),
      );
      // Grounding is best-effort, as for a reply: without the knowledge base the model still answers.
      const { hits } = await searchKnowledgeOrNothing(deps, actor, knowledgeScope(), prompt);
      let text = '';
      for await (const event of generateMetered(turn.meter, resolved.provider, {
        model: resolved.model,
        messages: [
          ...(system.length ? [{ role: 'system' as const, content: system.join('\n\n') }] : []),
          { role: 'user', content: prompt },
        ],
        tools: [],
        knowledge: hits,
        maxTokens: deps.env.LLM_MAX_TOKENS,
        signal: turn.signal,
      })) {
        if (event.type === 'delta') text += event.text;
      }
      turn.llmTokens = (turn.llmTokens ?? 0) + estimateTokens(prompt) + estimateTokens(text);
      return text;
    },
    async setContext(text) {
      turn.context.llmContext = text.slice(0, 20_000);
    },
    // Succeeds once the request is committed; the email service sends it (see request-mail.ts).
    // Attachments are the bot's files, named with its owner as the file keywords name them.
    sendMail: async (to, subject, body, files) =>
      requestMail(
        deps,
        actor,
        { sessionId: session.id, botId: bot.id, userId: session.userId },
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
    ...httpKeywords(turn),
    // RUN JAVASCRIPT in an isolate; RUN PYTHON / BASH compile only where a runner is enabled.
    ...sandboxKeywords(deps.env),
    ...mailKeywords(turn),
    ...dialogKeywords(turn),
    ...memoryKeywords(turn),
    ...tableKeywords((fn) => asActor(deps.db, actor, fn), bot.id, {
      actor: toEventActor(actor),
      byHandler: false,
    }),
    ...agentKeywords(turn),
    ...aiKeywords(turn),
    ...fileKeywords(deps, bot),
  };
}

/**
 * GET, POST, PUT, PATCH, DELETE HTTP, GRAPHQL and SOAP through the outbound guard (public addresses
 * only unless SCRIPT_HTTP_ALLOW says otherwise). SET HEADER's headers stay with the session, so
 * they still go with requests after a HEAR; a dialog names no connection, so nothing else is added.
 */
function httpKeywords(turn: Turn) {
  const { env } = turn.deps;
  const extras = extrasOf(turn.context);
  const http = createOutboundHttp({
    allow: env.SCRIPT_HTTP_ALLOW,
    timeoutMs: env.SCRIPT_HTTP_TIMEOUT,
    maxBytes: env.SCRIPT_HTTP_MAX_BYTES,
  });
  extras.httpHeaders ??= {};
  return scriptHttpKeywords(http, { headers: extras.httpHeaders });
}

/**
 * CREATE DRAFT and ADD MEMBER (@conduit/bus botMailKeywords): a draft in the bot's mailbox, an
 * invite sent as the bot's owner whoever is chatting. A dialog's turn is not retried, so its calls
 * carry no idempotency key.
 */
function mailKeywords(turn: Turn) {
  const { deps, bot } = turn;
  const keywords = botMailKeywords(deps.bus, {
    botId: bot.id,
    ownerUserId: bot.ownerUserId,
    timeoutMs: deps.env.RPC_TIMEOUT,
  });
  return {
    createDraft: (to: string, subject: string, body: string): Promise<unknown> =>
      keywords.createDraft(mailRecipients(to), subject, body),
    addMember: (email: string, team: string): Promise<unknown> => keywords.addMember(email, team),
  };
}

/** BEGIN SYSTEM PROMPT, suggestions and USE MODEL: settings of the session, kept in its context. */
function dialogKeywords(turn: Turn) {
  const { deps, actor } = turn;
  const extras = extrasOf(turn.context);
  const announce = () =>
    turn.sink.emit({ type: 'suggestions', suggestions: [...(extras.suggestions ?? [])] });
  return {
    async setSystemPrompt(text: string) {
      extras.systemPrompt = text.slice(0, MAX_SYSTEM_PROMPT);
    },
    async addSuggestion(key: string, text: string) {
      const others = (extras.suggestions ?? []).filter((s) => s.key !== key);
      if (others.length >= MAX_SUGGESTIONS)
        throw new Error(
          `a bot offers at most ${MAX_SUGGESTIONS} suggestions at once; CLEAR SUGGESTIONS first`,
        );
      extras.suggestions = [...others, { key: key.slice(0, 200), text: text.slice(0, 500) }];
      announce();
    },
    async clearSuggestions() {
      extras.suggestions = [];
      announce();
    },
    async useModel(name: string) {
      const wanted = name.trim();
      const found = await asActor(deps.db, actor, (tx) => chatModel(tx, deps, modelReference(wanted)));
      if (!found)
        throw new Error(
          `there is no active chat model "${wanted}" you may use: pick one of GET /v1/models (name or id)`,
        );
      extras.model = wanted;
    },
    // Connections are the workflow engine's (sealed there); a dialog's GET / POST carry none.
    async useConnection() {
      throw new HostUnavailableError(
        "USE CONNECTION is not available in a bot's dialogs: integration connections are for its automations",
      );
    },
  };
}

/** REMEMBER / RECALL and user facts: what this bot keeps of the person talking to it. */
function memoryKeywords(turn: Turn) {
  const { deps, actor, bot, session } = turn;
  const who = { botId: bot.id, userId: session.userId };
  return {
    remember: async (key: string, value: Value, duration: string | null) => {
      await asActor(deps.db, actor, (tx) => remember(tx, who, key, value, duration));
    },
    recall: (key: string) => asActor(deps.db, actor, (tx) => recall(tx, who, key)),
    setUserFact: async (key: string, value: Value) => {
      await asActor(deps.db, actor, (tx) => setUserFact(tx, who, key, value));
    },
    userFacts: () => asActor(deps.db, actor, (tx) => userFacts(tx, who)),
  };
}

const isDatabaseError = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  ('query' in error ||
    (error as Error).name === 'PostgresError' ||
    isDatabaseError((error as { cause?: unknown }).cause));

/**
 * A keyword's failure reaches the chat as the script's error message. Failures of the database
 * are ours to log, not the script author's to read (they may quote SQL): they become a plain
 * message, while the ones written for people (a blocked URL, an unknown tool) pass unchanged.
 */
function hidingDatabaseErrors(host: BasicHost, log: Logger): BasicHost {
  const guarded = Object.entries(host).map(([name, method]) => [
    name,
    async (...args: unknown[]) => {
      try {
        return await (method as (...a: unknown[]) => Promise<unknown>).apply(host, args);
      } catch (error) {
        if (!isDatabaseError(error)) throw error;
        log.error({ err: loggableError(error), keyword: name }, 'script keyword failed in the database');
        throw new Error('the data could not be saved or read just now; try again');
      }
    },
  ]);
  return Object.fromEntries(guarded) as unknown as BasicHost;
}
