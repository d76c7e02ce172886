import { fileURLToPath } from 'node:url';
import { defineService } from '@conduit/runtime';
import { commandRunnersFor, sandboxRefusals } from '@conduit/sandbox';
import { parseKeyring, SecretBox } from '@conduit/secrets';
import { buildApp } from './app.js';
import { serveBotRpcs } from './bus/bot-rpc.js';
import { serveCompleteRpc } from './bus/complete-rpc.js';
import { serveSessionOwnerRpc } from './bus/session-owner-rpc.js';
import { tableChangeHandlers } from './bus/table-change-handlers.js';
import type { ConversationDeps } from './deps.js';
import { pruneAppVisitors } from './domain/apps/visitor-retention.js';
import { offerScriptKeywords } from './domain/bots/compile-script.js';
import { PlatformDefaultModel } from './domain/llm/platform-default-model.js';
import { InFlight } from './domain/messages/in-flight.js';
import { upkeepSessionSecrets } from './domain/sessions/session-secrets-upkeep.js';
import { type ConversationEnv, loadEnv } from './env.js';
import { type ConversationJobs, conversationJobs } from './jobs/catalog.js';

export const SCHEMA = 'conversation';
export const migrationsDir = fileURLToPath(new URL('../drizzle', import.meta.url));

/**
 * Conversation: bots, chat sessions, messages, memories, tools and LLM providers over HTTP, and
 * `rpc.conversation.sessions.owner` for knowledge-base, `rpc.conversation.llm.complete` and the
 * bot RPCs (owner, memory) for the workflow engine. Bot saves and deletions are published
 * (`conversation.bot.saved` / `deleted`) for the engine's bot automations.
 */
export const conversationService = defineService<ConversationEnv, ConversationDeps, ConversationJobs>({
  name: 'conversation',
  loadEnv,
  database: { schema: SCHEMA, migrationsDir },
  redis: {},
  listen: (env) => ({ port: env.CONVERSATION_PORT, host: env.CONVERSATION_HOST }),
  jobs: () => conversationJobs,
  deps: ({ env, log, database, redis, bus, onClose }) => {
    offerScriptKeywords({ commandRunners: commandRunnersFor(env) }, sandboxRefusals());
    const inFlight = new InFlight();
    const defaultModel = new PlatformDefaultModel(bus, { timeoutMs: env.RPC_TIMEOUT, log });
    const settingsChanges = defaultModel.listen();
    onClose('settings changes', () => settingsChanges.stop());
    // Replies still being generated for clients that went away finish before the connections close.
    onClose('replies in flight', () => inFlight.drain());
    return {
      env,
      db: database.db,
      redis,
      bus,
      box: new SecretBox(parseKeyring(env.ENCRYPTION_KEYS)),
      log,
      inFlight,
      defaultModel,
    };
  },
  app: buildApp,
  // A bot's ON scripts run when its tables change (conversation.bot_table.changed, our own event):
  // a consumer of its own, since handlers run outside the consumer's transaction.
  background: [tableChangeHandlers],
  // Knowledge-base asks who owns a session before it links knowledge bases to it; the workflow
  // engine's llm node asks for completions, its bot automations for bot owners and memories.
  rpc: (deps, bus) => [
    serveSessionOwnerRpc(bus, deps),
    serveCompleteRpc(bus, deps),
    ...serveBotRpcs(bus, deps),
  ],
  // The worker's upkeep: widget visitors past their retention; what sessions keep of a script's
  // secrets (once at start, for rows stored before they were sealed, then for sessions that end).
  worker: {
    handlers: (deps) => ({
      'prune-app-visitors': () => pruneAppVisitors(deps),
      'session-secrets-upkeep': async () => {
        await upkeepSessionSecrets(deps);
      },
    }),
    schedule: async (jobs, env) => {
      await jobs.schedule(
        'prune-app-visitors',
        'prune-app-visitors',
        {},
        { everyMs: env.APP_VISITOR_PRUNE_EVERY },
      );
      await jobs.add('session-secrets-upkeep', {});
      await jobs.schedule(
        'session-secrets-upkeep',
        'session-secrets-upkeep',
        {},
        { everyMs: env.SESSION_SECRETS_UPKEEP_EVERY },
      );
    },
  },
});
