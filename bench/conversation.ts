import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { localServices } from '@conduit/testing';
import { connect } from 'nats';
import postgres from 'postgres';
import { registerBenchUser } from './harness/bench-user.js';
import { type ChildService, freePort, startChildService } from './harness/child-service.js';
import { deferCleanup } from './harness/cleanup.js';
import { type CpuCost, measureCpuCost } from './harness/cpu-cost.js';
import { pnpmStartEnv, startIsolatedStack } from './harness/isolated-stack.js';
import { compareInRounds, type Measurement, type Sample } from './harness/measure.js';
import { formatNumber, formatRatio, machine, markdownTable, round, writeResults } from './harness/report.js';
import { baselineTree, numberSetting, roundSettings } from './harness/settings.js';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const benchDir = fileURLToPath(new URL('./', import.meta.url));

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
const QUESTIONS = [
  'How long do refunds take?',
  'How long does standard shipping take?',
  'When does the support team answer chat?',
  'How do I reset my password?',
  'When are invoices sent?',
  'Where is customer data stored?',
];

/** Concurrent messages in flight for the throughput figures; each on a session of its own. */
const MESSAGE_CONCURRENCY = 16;
/** Concurrent streams for the time-to-first-byte figures (a latency, so few at once). */
const SSE_CONCURRENCY = 2;

type Contender = 'gateway' | 'direct';
type MessageContender = Contender | 'floor' | 'baseline';

/**
 * Scenario: a user talking to a bot grounded in a one-collection knowledge base, with the offline
 * provider (no network, no key). Messages/s end to end (JSON replies: auth, usage reservation over
 * identity's RPC, knowledge search over `rpc.knowledge.search`, the extractive answer, the stored
 * turn and its outbox events) through the gateway and straight from the conversation service, and
 * the time to the first byte of a streamed (SSE) reply both ways, in the same run. Identity,
 * conversation, the gateway and the knowledge base are real processes on an isolated stack.
 */
export async function conversationScenario(): Promise<void> {
  const settings = roundSettings();
  const costSeconds = numberSetting('BENCH_COST_SECONDS', 10);
  const stack = await startIsolatedStack({ gateway: false });
  const { busNamespace: namespace, databaseUrl } = stack;
  deferCleanup(async () => {
    const nc = await connect({ servers: localServices.natsUrl, name: 'conduit-bench-cleanup' });
    try {
      const jsm = await nc.jetstreamManager();
      for (const service of ['CONVERSATION', 'KNOWLEDGE'])
        await jsm.streams.delete(`${namespace.toUpperCase()}_${service}`).catch(() => {});
    } finally {
      await nc.close();
    }
  });
  const shared = {
    ...pnpmStartEnv,
    REDIS_URL: localServices.redisUrl,
    NATS_URL: localServices.natsUrl,
    BUS_NAMESPACE: namespace,
    REDIS_KEY_PREFIX: `${namespace}:`,
    DATABASE_URL: databaseUrl,
    IDENTITY_URL: stack.identity.url,
  };
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  deferCleanup(() => sql.end({ timeout: 5 }));

  const conversationPort = await freePort();
  const conversation = await startChildService({
    name: 'conversation',
    entry: join(repoRoot, 'services/conversation/src/server.ts'),
    cwd: join(repoRoot, 'services/conversation'),
    port: conversationPort,
    readyPath: '/health/ready',
    env: { ...shared, CONVERSATION_PORT: String(conversationPort), CONVERSATION_HOST: '127.0.0.1' },
  });
  // The same service from another checkout (BENCH_BASELINE_TREE), on the same database, bus and
  // Redis, loaded straight: the before of a before / after that shares this run's load.
  const tree = baselineTree();
  const baselinePort = await freePort();
  const baselineConversation = tree
    ? await startChildService({
        name: 'baseline-conversation',
        entry: join(tree, 'services/conversation/src/server.ts'),
        cwd: join(tree, 'services/conversation'),
        port: baselinePort,
        readyPath: '/health/ready',
        env: { ...shared, CONVERSATION_PORT: String(baselinePort), CONVERSATION_HOST: '127.0.0.1' },
      })
    : undefined;
  const knowledge = await startKnowledgeBase(shared);
  const gatewayPort = await freePort();
  const gateway = await startChildService({
    name: 'gateway',
    entry: join(repoRoot, 'services/gateway/src/server.ts'),
    cwd: join(repoRoot, 'services/gateway'),
    port: gatewayPort,
    readyPath: '/health/live',
    env: {
      ...shared,
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_HOST: '127.0.0.1',
      CONVERSATION_URL: conversation.url,
      ...(knowledge ? { KNOWLEDGE_BASE_URL: knowledge.url } : {}),
      RATE_LIMIT_MAX: '1000000000',
      AUTH_RATE_LIMIT_MAX: '1000000000',
    },
  });

  const floorPort = await freePort();
  const floor = await startChildService({
    name: 'floor-turn',
    entry: join(benchDir, 'servers/floor-turn.ts'),
    cwd: benchDir,
    port: floorPort,
    env: { PORT: String(floorPort), IDENTITY_URL: stack.identity.url, DATABASE_URL: databaseUrl },
    readyPath: '/ready',
  });

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
    ? await indexHandbook(call, sql)
    : await answerKnowledgeSearch(namespace).catch(() => undefined);
  if (!collectionId) throw new Error('neither the knowledge base nor its stand-in could answer searches');
  const kbSource = knowledge
    ? 'knowledge-base service (server + indexing worker)'
    : 'NATS responder in the bench';

  const bot = await call('/v1/bots', { name: 'Handbook', script: 'USE KB "handbook"' });
  await call(`/v1/bots/${bot.id}/config`, { items: [{ key: 'kb.handbook', value: collectionId }] }, 'PUT');
  const sessions: string[] = [];
  for (let i = 0; i < MESSAGE_CONCURRENCY + 2 * SSE_CONCURRENCY; i++)
    sessions.push(((await call(`/v1/bots/${bot.id}/sessions`, {})).session as { id: string }).id);
  // A first grounded answer proves the chain, and creates the plan's usage counters, which are
  // then raised out of reach: the benchmark measures replies, not 402s.
  const first = (await call(`/v1/sessions/${sessions[0]}/messages`, { text: QUESTIONS[0] })) as {
    messages: { sender: string; content: string }[];
  };
  const answer = first.messages.find((m) => m.sender === 'bot')?.content ?? '';
  if (!answer.includes('within 5 business days'))
    throw new Error(`the bot did not answer from the knowledge base: ${answer}`);
  await sql`update identity.usage_counters set "limit" = 1000000000000`;

  const headers = { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' };
  const base: Record<MessageContender, string> = {
    gateway: gateway.url,
    direct: conversation.url,
    floor: floor.url,
    baseline: baselineConversation?.url ?? '',
  };
  let question = 0;
  const nextQuestion = () => QUESTIONS[question++ % QUESTIONS.length]!;

  // One message at a time per session (a session answers one turn at a time): each loop owns one.
  const messagesContender = (to: MessageContender) => (seconds: number) =>
    sampleLoops(sessions.slice(0, MESSAGE_CONCURRENCY), seconds, async (sessionId) => {
      const started = performance.now();
      const response = await fetch(`${base[to]}/v1/sessions/${sessionId}/messages`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ text: nextQuestion() }),
      });
      await response.arrayBuffer();
      return { ok: response.status === 201, ms: performance.now() - started };
    });
  const sseSessions: Record<Contender, string[]> = {
    gateway: sessions.slice(MESSAGE_CONCURRENCY, MESSAGE_CONCURRENCY + SSE_CONCURRENCY),
    direct: sessions.slice(MESSAGE_CONCURRENCY + SSE_CONCURRENCY),
  };
  const fullStream: Record<Contender, number[]> = { gateway: [], direct: [] };
  const ttfbContender = (to: Contender) => (seconds: number) =>
    sampleLoops(sseSessions[to], seconds, async (sessionId) => {
      const started = performance.now();
      const response = await fetch(`${base[to]}/v1/sessions/${sessionId}/messages`, {
        method: 'POST',
        headers: { ...headers, accept: 'text/event-stream' },
        body: JSON.stringify({ text: nextQuestion() }),
      });
      const reader = response.body!.getReader();
      let chunk = await reader.read();
      const firstByte = performance.now() - started;
      let text = '';
      while (!chunk.done) {
        text += new TextDecoder().decode(chunk.value);
        chunk = await reader.read();
      }
      fullStream[to].push(performance.now() - started);
      return { ok: response.status === 200 && text.includes('event: done'), ms: firstByte };
    });

  console.error(`conversation: messages/s at ${MESSAGE_CONCURRENCY} sessions at once...`);
  const messages = await compareInRounds(
    {
      gateway: messagesContender('gateway'),
      direct: messagesContender('direct'),
      floor: messagesContender('floor'),
      ...(baselineConversation && { baseline: messagesContender('baseline') }),
    } as Record<MessageContender, (seconds: number) => Promise<Sample>>,
    settings,
    (message) => console.error(`conversation: messages, ${message}`),
  );
  console.error(`conversation: SSE time to first byte, ${SSE_CONCURRENCY} streams at once...`);
  const ttfb = await compareInRounds(
    { gateway: ttfbContender('gateway'), direct: ttfbContender('direct') },
    settings,
    (message) => console.error(`conversation: SSE, ${message}`),
  );
  // CPU per message of every process a message crosses (straight to conversation), then of the
  // floor's: where the time goes, in figures that hardly move with outside load.
  console.error(
    `conversation: CPU per message, ${costSeconds} s straight to conversation, then the floor...`,
  );
  const database = new URL(databaseUrl).pathname.slice(1);
  const answered = async (to: MessageContender) =>
    (await messagesContender(to)(costSeconds)).latencies.length;
  const turnCost = await measureCpuCost(
    sql,
    database,
    {
      conversation: conversation.pid,
      identity: stack.identity.pid,
      ...(knowledge && { 'knowledge-base': knowledge.pid, 'knowledge-base worker': knowledge.worker.pid }),
    },
    () => answered('direct'),
  );
  const floorCost = await measureCpuCost(sql, database, { floor: floor.pid }, () => answered('floor'));
  const streamP50 = (to: Contender) => {
    const sorted = [...fullStream[to]].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  };

  const row = (label: string, m: Measurement, ratios: [number, number], extra: string) => [
    label,
    formatNumber(m.perSecond),
    formatNumber(m.p50Ms),
    formatNumber(m.p99Ms),
    extra,
    ...ratios.map(formatRatio),
    `${m.non2xx} / ${m.errors}`,
  ];
  const overFloor = (m: Measurement) => m.perSecond / messages.floor.perSecond;
  console.log(`\n### Conversation: grounded replies (offline provider, knowledge from the ${kbSource})\n`);
  console.log(
    markdownTable(
      [
        'Load',
        'per s',
        'p50 ms',
        'p99 ms',
        'full reply p50 ms',
        'vs. direct',
        'vs. floor',
        'non-2xx / errors',
      ],
      [
        row(
          `messages, JSON, through the gateway (${MESSAGE_CONCURRENCY} sessions)`,
          messages.gateway,
          [messages.gateway.perSecond / messages.direct.perSecond, overFloor(messages.gateway)],
          '–',
        ),
        row(
          `messages, JSON, straight to conversation (${MESSAGE_CONCURRENCY} sessions)`,
          messages.direct,
          [1, overFloor(messages.direct)],
          '–',
        ),
        ...(baselineConversation
          ? [
              row(
                `messages, JSON, straight to conversation, baseline tree (${MESSAGE_CONCURRENCY} sessions)`,
                messages.baseline,
                [messages.baseline.perSecond / messages.direct.perSecond, overFloor(messages.baseline)],
                '–',
              ),
            ]
          : []),
        row(
          `floor: token check + one transaction storing both messages and their outbox rows (${MESSAGE_CONCURRENCY} loops)`,
          messages.floor,
          [messages.floor.perSecond / messages.direct.perSecond, 1],
          '–',
        ),
        row(
          `SSE first byte, through the gateway (${SSE_CONCURRENCY} streams)`,
          ttfb.gateway,
          [ttfb.gateway.p50Ms / ttfb.direct.p50Ms, Number.NaN],
          formatNumber(streamP50('gateway')),
        ),
        row(
          `SSE first byte, straight to conversation (${SSE_CONCURRENCY} streams)`,
          ttfb.direct,
          [1, Number.NaN],
          formatNumber(streamP50('direct')),
        ),
      ],
    ),
  );
  console.log(
    '\nThroughput ratios: messages/s over direct and over the floor (goal: gateway >= 0.50x the floor). First-byte ratio: gateway p50 over direct p50 (above 1x is what the gateway adds).',
  );
  const costRow = (name: string, cost: CpuCost) => [
    name,
    formatNumber(cost.operations),
    ...Object.entries(cost.perOperationMs).map(([process, ms]) => `${process} ${formatNumber(ms)}`),
    formatNumber(Object.values(cost.perOperationMs).reduce((sum, ms) => sum + ms, 0)),
    formatNumber(cost.transactionsPerOperation),
  ];
  console.log(`\n### CPU per message (${costSeconds} s each, ${MESSAGE_CONCURRENCY} at once)\n`);
  console.log(
    markdownTable(
      [
        'Messages',
        'answered',
        'CPU ms per message, by process',
        'total ms',
        'Postgres transactions per message',
      ],
      [costRow('straight to conversation', turnCost), costRow('floor', floorCost)].map((row) => [
        row[0]!,
        row[1]!,
        row.slice(2, -2).join(', '),
        row.at(-2)!,
        row.at(-1)!,
      ]),
    ),
  );
  const figures = (m: Measurement) => ({
    perSecond: round(m.perSecond, 1),
    p50Ms: round(m.p50Ms, 2),
    p99Ms: round(m.p99Ms, 2),
    operations: m.operations,
    non2xx: m.non2xx,
    errors: m.errors,
    seconds: round(m.seconds, 2),
  });
  const file = await writeResults('conversation', {
    settings: { ...settings, messageConcurrency: MESSAGE_CONCURRENCY, sseConcurrency: SSE_CONCURRENCY },
    knowledgeBase: { source: kbSource, documents: HANDBOOK.length },
    messages: {
      gateway: figures(messages.gateway),
      direct: figures(messages.direct),
      floor: figures(messages.floor),
      gatewayOverDirect: round(messages.gateway.perSecond / messages.direct.perSecond),
      gatewayOverFloor: round(overFloor(messages.gateway)),
      directOverFloor: round(overFloor(messages.direct)),
      ...(baselineConversation && {
        baselineTree: tree,
        baseline: figures(messages.baseline),
        baselineOverFloor: round(overFloor(messages.baseline)),
      }),
    },
    cpuPerMessage: {
      seconds: costSeconds,
      direct: turnCost,
      floor: floorCost,
    },
    sseFirstByte: {
      gateway: { ...figures(ttfb.gateway), fullReplyP50Ms: round(streamP50('gateway'), 2) },
      direct: { ...figures(ttfb.direct), fullReplyP50Ms: round(streamP50('direct'), 2) },
      gatewayOverDirectP50: round(ttfb.gateway.p50Ms / ttfb.direct.p50Ms),
    },
    machine: machine(),
  });
  console.error(`conversation: results in ${file}`);
}

/** `loops.length` loops, one per item, each starting its next operation when its last one ends. */
async function sampleLoops<T>(
  items: T[],
  seconds: number,
  operation: (item: T) => Promise<{ ok: boolean; ms: number }>,
): Promise<Sample> {
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    items.map(async (item) => {
      while (performance.now() < deadline) {
        try {
          const { ok, ms } = await operation(item);
          if (ok) latencies.push(ms);
          else non2xx++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return { latencies, seconds: (performance.now() - start) / 1000, non2xx, errors };
}

/**
 * The knowledge-base service and its indexing worker as processes of their own, or undefined when
 * it does not start (it is being finished elsewhere; the bench then answers its RPC itself).
 */
async function startKnowledgeBase(
  shared: Record<string, string>,
): Promise<(ChildService & { worker: ChildService }) | undefined> {
  const port = await freePort();
  const env = { ...shared, KNOWLEDGE_BASE_PORT: String(port), KNOWLEDGE_BASE_HOST: '127.0.0.1' };
  const cwd = join(repoRoot, 'services/knowledge-base');
  try {
    const server = await startChildService({
      name: 'knowledge-base',
      entry: join(cwd, 'src/server.ts'),
      cwd,
      port,
      readyPath: '/health/ready',
      env,
    });
    // The worker has no port of its own: "ready" is the server's readiness; indexing is awaited below.
    const worker = await startChildService({
      name: 'knowledge-base-worker',
      entry: join(cwd, 'src/worker.ts'),
      cwd,
      port,
      readyPath: '/health/live',
      env,
    });
    return { ...server, worker };
  } catch (error) {
    console.error(
      `conversation: the knowledge base did not start (${(error as Error).message.split('\n')[0]})`,
    );
    return undefined;
  }
}

/** Creates the one collection through the gateway, uploads the handbook and waits until it is indexed. */
async function indexHandbook(
  call: (path: string, body: unknown) => Promise<Record<string, unknown>>,
  sql: postgres.Sql,
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
    console.error(`conversation: indexing through the knowledge base failed: ${(error as Error).message}`);
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

// Also runnable on its own: `pnpm --filter @conduit/bench exec tsx conversation.ts`.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { cleanUpAll, cleanUpOnSignals } = await import('./harness/cleanup.js');
  cleanUpOnSignals();
  try {
    await conversationScenario();
  } finally {
    await cleanUpAll();
  }
}
