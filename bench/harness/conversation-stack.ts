import { setTimeout as sleep } from 'node:timers/promises';
import { localServices } from '@conduit/testing';
import { connect } from 'nats';
import postgres from 'postgres';
import { type BenchUser, registerBenchUser } from './bench-user.js';
import type { ChildService } from './child-service.js';
import { deferCleanup } from './cleanup.js';
import { type IsolatedStack, startIsolatedStack } from './isolated-stack.js';

/** The one collection the bot answers from: short handbook passages the questions below hit. */
const HANDBOOK: [name: string, text: string][] = [
  [
    'refunds.md',
    '# Refunds\n\nOrders can be returned within 30 days. Refunds are paid to the original card within 5 business days. Shipping costs are not refunded.',
  ],
  [
    'shipping.md',
    '# Shipping\n\nStandard shipping takes 3 to 5 business days. Express shipping arrives the next business day when ordered before noon.',
  ],
  [
    'support.md',
    '# Support hours\n\nThe support team answers chat and email from 8:00 to 18:00 on weekdays. Urgent outages are handled around the clock.',
  ],
  [
    'accounts.md',
    '# Accounts\n\nA password can be reset from the sign-in page. Two-factor authentication is available for every account under security settings.',
  ],
  [
    'billing.md',
    '# Billing\n\nInvoices are sent on the first day of each month. Plans can be changed at any time and are prorated to the day.',
  ],
  [
    'privacy.md',
    '# Privacy\n\nCustomer data is stored in the European Union. Data export and deletion requests are completed within 30 days.',
  ],
];
export const HANDBOOK_DOCUMENTS = HANDBOOK.length;

/** What the load loops ask, in turn; each is answered by one handbook passage. */
export const QUESTIONS = [
  'How long do refunds take?',
  'How long does standard shipping take?',
  'When does the support team answer chat?',
  'How do I reset my password?',
  'When are invoices sent?',
  'Where is customer data stored?',
];

/** The bot every stack runs: its whole script. */
const BOT_SCRIPT = 'USE KB "handbook"';

export interface ConversationStack {
  /** Identity, the stack's database, namespace and Redis prefix (see `startIsolatedStack`). */
  stack: IsolatedStack;
  conversation: ChildService;
  /** Undefined when the knowledge base did not start and the bench's stand-in answers searches. */
  knowledge?: { server: ChildService; worker: ChildService };
  gateway: ChildService;
  /** Where the bot's knowledge comes from, for the report. */
  knowledgeSource: string;
  /** The stack's database as its owner (counters, statistics). */
  sql: postgres.Sql;
  user: BenchUser;
  /** Sessions with the handbook bot, each answering one message at a time. */
  sessions: string[];
}

/**
 * A user talking to the handbook bot, on a stack of its own: identity, conversation, the
 * knowledge base (server and indexing worker) and the gateway from `tree` (this checkout by
 * default), on a database, bus namespace and Redis prefix of their own. The user is registered
 * through the gateway, the handbook indexed through it, the bot created with `sessions` sessions,
 * and a first grounded answer proves the chain before the usage limits are raised out of reach
 * (the benchmark measures replies, not 402s). Stopped with the run's cleanups.
 */
export async function startConversationStack(options: {
  sessions: number;
  tree?: string;
  /** Prefix of the processes' log files and of the progress lines. */
  namePrefix?: string;
}): Promise<ConversationStack> {
  const prefix = options.namePrefix ?? '';
  const stack = await startIsolatedStack({
    gateway: false,
    ...(options.tree && { tree: options.tree }),
    namePrefix: prefix,
  });
  const conversation = await stack.startService({ service: 'conversation' });
  const knowledge = await startKnowledgeBase(stack, prefix);
  const gateway = await stack.startGateway({
    CONVERSATION_URL: conversation.url,
    ...(knowledge && { KNOWLEDGE_BASE_URL: knowledge.server.url }),
  });
  const sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
  deferCleanup(() => sql.end({ timeout: 5 }));

  const user = await registerBenchUser(gateway.url);
  const call = async (path: string, body: unknown, method = 'POST') => {
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };

  const collectionId = knowledge
    ? await indexHandbook(call, sql, prefix)
    : await answerKnowledgeSearch(stack.busNamespace).catch(() => undefined);
  if (!collectionId)
    throw new Error(
      `${prefix}conversation: neither the knowledge base nor its stand-in could answer searches`,
    );

  const bot = await call('/v1/bots', { name: 'Handbook', script: BOT_SCRIPT });
  await call(`/v1/bots/${bot.id}/config`, { items: [{ key: 'kb.handbook', value: collectionId }] }, 'PUT');
  const sessions: string[] = [];
  for (let i = 0; i < options.sessions; i++)
    sessions.push(((await call(`/v1/bots/${bot.id}/sessions`, {})).session as { id: string }).id);
  // The first answer also creates the plan's usage counters, which are then raised out of reach.
  const first = (await call(`/v1/sessions/${sessions[0]}/messages`, { text: QUESTIONS[0] })) as {
    messages: { sender: string; content: string }[];
  };
  const answer = first.messages.find((m) => m.sender === 'bot')?.content ?? '';
  if (!answer.includes('within 5 business days'))
    throw new Error(`${prefix}conversation: the bot did not answer from the knowledge base: ${answer}`);
  await sql`update identity.usage_counters set "limit" = 1000000000000`;

  return {
    stack,
    conversation,
    ...(knowledge && { knowledge }),
    gateway,
    knowledgeSource: knowledge
      ? 'knowledge-base service (server + indexing worker)'
      : 'NATS responder in the bench',
    sql,
    user,
    sessions,
  };
}

/**
 * The knowledge-base server and its indexing worker (whose readiness is the server's: it has no
 * port), or undefined when they do not start (the bench then answers the search RPC itself).
 */
async function startKnowledgeBase(
  stack: IsolatedStack,
  prefix: string,
): Promise<{ server: ChildService; worker: ChildService } | undefined> {
  try {
    const server = await stack.startService({ service: 'knowledge-base' });
    const worker = await stack.startService({
      service: 'knowledge-base',
      entry: 'worker',
      port: Number(new URL(server.url).port),
      readyPath: '/health/live',
    });
    return { server, worker };
  } catch (error) {
    console.error(
      `${prefix}conversation: the knowledge base did not start (${(error as Error).message.split('\n')[0]})`,
    );
    return undefined;
  }
}

/** Creates the one collection through the gateway, uploads the handbook and waits until it is indexed. */
async function indexHandbook(
  call: (path: string, body: unknown) => Promise<Record<string, unknown>>,
  sql: postgres.Sql,
  prefix: string,
): Promise<string | undefined> {
  try {
    const collection = await call('/v1/kb/collections', { name: 'handbook' });
    for (const [name, text] of HANDBOOK)
      await call(`/v1/kb/collections/${collection.id}/documents`, { name, text });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const [row] = await sql<{ indexed: number }[]>`
        select count(*)::int as indexed from knowledge.kb_documents where status = 'indexed'`;
      if (row!.indexed >= HANDBOOK.length) return collection.id as string;
      await sleep(250);
    }
    throw new Error('the handbook was not indexed within 60 s');
  } catch (error) {
    console.error(
      `${prefix}conversation: indexing through the knowledge base failed: ${(error as Error).message}`,
    );
    return undefined;
  }
}

/**
 * The stand-in when the knowledge-base service cannot run: a real NATS responder on
 * `rpc.knowledge.search` (the contract's envelope and hit shape) that ranks the handbook passages
 * by shared words. Returns the collection id the bot is configured with.
 */
async function answerKnowledgeSearch(namespace: string): Promise<string> {
  const collectionId = crypto.randomUUID();
  const nc = await connect({ servers: localServices.natsUrl, name: 'bench-knowledge-stand-in' });
  deferCleanup(() => nc.drain());
  const words = (text: string) =>
    new Set(
      text
        .toLowerCase()
        .split(/[^a-z0-9]+/)
        .filter((w) => w.length > 3),
    );
  const passages = HANDBOOK.map(([name, text]) => ({
    chunkId: crypto.randomUUID(),
    documentId: crypto.randomUUID(),
    documentName: name,
    collectionId,
    headingPath: [text.split('\n')[0]!.replace(/^#\s*/, '')],
    content: text.split('\n\n')[1]!,
    words: words(text),
  }));
  const subscription = nc.subscribe(`${namespace}.rpc.knowledge.search`, { queue: 'knowledge-base' });
  void (async () => {
    for await (const message of subscription) {
      const { query, k } = message.json<{ query: string; k: number }>();
      const wanted = words(query);
      const hits = passages
        .map((p) => ({ p, shared: [...wanted].filter((w) => p.words.has(w)).length }))
        .filter((h) => h.shared > 0)
        .sort((a, b) => b.shared - a.shared)
        .slice(0, k)
        .map(({ p, shared }, i) => ({
          chunkId: p.chunkId,
          documentId: p.documentId,
          documentName: p.documentName,
          collectionId,
          headingPath: p.headingPath,
          charStart: 0,
          charEnd: p.content.length,
          content: p.content,
          snippet: p.content,
          score: 1 / (60 + i + 1),
          textRank: i + 1,
          vectorRank: null,
          textScore: shared,
          vectorScore: null,
        }));
      message.respond(JSON.stringify({ ok: true, data: { hits } }));
    }
  })();
  return collectionId;
}
