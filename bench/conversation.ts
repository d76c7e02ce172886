import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { freePort, startChildService } from './harness/child-service.js';
import {
  type ConversationStack,
  HANDBOOK_DOCUMENTS,
  QUESTIONS,
  startConversationStack,
} from './harness/conversation-stack.js';
import { type CpuCost, measureCpuCost } from './harness/cpu-cost.js';
import { compareInRounds, type Measurement, type Sample } from './harness/measure.js';
import { formatNumber, formatRatio, machine, markdownTable, round, writeResults } from './harness/report.js';
import { baselineStackTree, baselineTree, numberSetting, roundSettings } from './harness/settings.js';

const benchDir = fileURLToPath(new URL('./', import.meta.url));

/**
 * Concurrent messages in flight for the throughput figures, each on a session of its own
 * (BENCH_MESSAGE_SESSIONS, 16): fewer show a turn's latency unloaded, more whether the rate is
 * bound by the machine (it stays) or by waits (it grows).
 */
const MESSAGE_CONCURRENCY = Math.max(1, Math.round(numberSetting('BENCH_MESSAGE_SESSIONS', 16)));
/** Concurrent streams for the time-to-first-byte figures (a latency, so few at once). */
const SSE_CONCURRENCY = 2;

/**
 * Today's stack through its gateway and straight to conversation; the floor; conversation from
 * BENCH_BASELINE_TREE on today's stack (`baseline`); the whole stack of BENCH_BASELINE_STACK
 * through its gateway and straight to its conversation.
 */
type MessageContender = 'gateway' | 'direct' | 'floor' | 'baseline' | 'baselineGateway' | 'baselineDirect';
type StreamContender = 'gateway' | 'direct' | 'baselineGateway' | 'baselineDirect';

/** Where a load goes: one server, as the user of the stack behind it, on that stack's sessions. */
interface Target {
  url: string;
  accessToken: string;
  /** One message loop on each. */
  messageSessions: string[];
  /** One stream loop on each (none for the message-only contenders). */
  streamSessions: string[];
}

/**
 * Scenario: a user talking to a bot grounded in a one-collection knowledge base, with the offline
 * provider (no network, no key). Messages/s end to end (JSON replies: auth, usage reservation over
 * identity's RPC, knowledge search over `rpc.knowledge.search`, the extractive answer, the stored
 * turn and its outbox events) through the gateway and straight from the conversation service, and
 * the time to the first byte of a streamed (SSE) reply both ways, in the same run. Identity,
 * conversation, the gateway and the knowledge base are real processes on an isolated stack.
 * With BENCH_BASELINE_STACK, a second whole stack from that checkout (its own database, bus
 * namespace and Redis prefix) is loaded in the same rounds: before / after under the same load.
 */
export async function conversationScenario(): Promise<void> {
  const settings = roundSettings();
  const costSeconds = numberSetting('BENCH_COST_SECONDS', 10);
  // Sessions: the message loops', then two sets of stream loops (through the gateway, straight).
  const sessions = MESSAGE_CONCURRENCY + 2 * SSE_CONCURRENCY;
  const current = await startConversationStack({ sessions });
  const { stack } = current;

  // The same service from another checkout (BENCH_BASELINE_TREE) on today's database, bus and
  // Redis, loaded straight: one service's before / after, where its RPCs have not changed since.
  const tree = baselineTree();
  const baselineConversation = tree
    ? await stack.startService({ service: 'conversation', tree, name: 'baseline-conversation' })
    : undefined;
  // The whole stack of another checkout (BENCH_BASELINE_STACK), isolated from today's: the before
  // of changes that span services (an RPC whose shape changed on both sides).
  const stackTree = baselineStackTree();
  const before = stackTree
    ? await startConversationStack({ sessions, tree: stackTree, namePrefix: 'baseline-' })
    : undefined;

  const floorPort = await freePort();
  const floor = await startChildService({
    name: 'floor-turn',
    entry: `${benchDir}servers/floor-turn.ts`,
    cwd: benchDir,
    port: floorPort,
    env: { PORT: String(floorPort), IDENTITY_URL: stack.identity.url, DATABASE_URL: stack.databaseUrl },
    readyPath: '/ready',
  });

  const streamSessions = (of: ConversationStack, to: 'gateway' | 'direct') =>
    to === 'gateway'
      ? of.sessions.slice(MESSAGE_CONCURRENCY, MESSAGE_CONCURRENCY + SSE_CONCURRENCY)
      : of.sessions.slice(MESSAGE_CONCURRENCY + SSE_CONCURRENCY);
  const target = (of: ConversationStack, url: string, streams: string[] = []): Target => ({
    url,
    accessToken: of.user.accessToken,
    messageSessions: of.sessions.slice(0, MESSAGE_CONCURRENCY),
    streamSessions: streams,
  });
  const targets: Partial<Record<MessageContender, Target>> = {
    gateway: target(current, current.gateway.url, streamSessions(current, 'gateway')),
    direct: target(current, current.conversation.url, streamSessions(current, 'direct')),
    floor: target(current, floor.url),
    ...(baselineConversation && { baseline: target(current, baselineConversation.url) }),
    ...(before && {
      baselineGateway: target(before, before.gateway.url, streamSessions(before, 'gateway')),
      baselineDirect: target(before, before.conversation.url, streamSessions(before, 'direct')),
    }),
  };
  const contenders = <K extends MessageContender>(
    names: readonly K[],
    contender: (to: K, target: Target) => (seconds: number) => Promise<Sample>,
  ) =>
    Object.fromEntries(
      names.filter((name) => targets[name]).map((name) => [name, contender(name, targets[name]!)]),
    ) as Record<K, (seconds: number) => Promise<Sample>>;

  let question = 0;
  const nextQuestion = () => QUESTIONS[question++ % QUESTIONS.length]!;
  const headersOf = (to: Target) => ({
    authorization: `Bearer ${to.accessToken}`,
    'content-type': 'application/json',
  });
  // One message at a time per session (a session answers one turn at a time): each loop owns one.
  const messagesContender = (to: Target) => (seconds: number) =>
    sampleLoops(to.messageSessions, seconds, async (sessionId) => {
      const started = performance.now();
      const response = await fetch(`${to.url}/v1/sessions/${sessionId}/messages`, {
        method: 'POST',
        headers: headersOf(to),
        body: JSON.stringify({ text: nextQuestion() }),
      });
      await response.arrayBuffer();
      return { ok: response.status === 201, ms: performance.now() - started };
    });
  const fullStream: Record<StreamContender, number[]> = {
    gateway: [],
    direct: [],
    baselineGateway: [],
    baselineDirect: [],
  };
  const ttfbContender = (name: StreamContender, to: Target) => (seconds: number) =>
    sampleLoops(to.streamSessions, seconds, async (sessionId) => {
      const started = performance.now();
      const response = await fetch(`${to.url}/v1/sessions/${sessionId}/messages`, {
        method: 'POST',
        headers: { ...headersOf(to), accept: 'text/event-stream' },
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
      fullStream[name].push(performance.now() - started);
      return { ok: response.status === 200 && text.includes('event: done'), ms: firstByte };
    });

  console.error(`conversation: messages/s at ${MESSAGE_CONCURRENCY} sessions at once...`);
  const messages: Partial<Record<MessageContender, Measurement>> = await compareInRounds(
    contenders(
      ['gateway', 'direct', 'floor', 'baseline', 'baselineGateway', 'baselineDirect'] as const,
      (_name, to) => messagesContender(to),
    ),
    settings,
    (message) => console.error(`conversation: messages, ${message}`),
  );
  console.error(`conversation: SSE time to first byte, ${SSE_CONCURRENCY} streams at once...`);
  const ttfb: Partial<Record<StreamContender, Measurement>> = await compareInRounds(
    contenders(['gateway', 'direct', 'baselineGateway', 'baselineDirect'] as const, ttfbContender),
    settings,
    (message) => console.error(`conversation: SSE, ${message}`),
  );
  // CPU per message of every process a message crosses (straight to conversation), then of the
  // floor's: where the time goes, in figures that hardly move with outside load.
  console.error(
    `conversation: CPU per message, ${costSeconds} s straight to conversation, then the floor...`,
  );
  const answered = async (to: Target) => (await messagesContender(to)(costSeconds)).latencies.length;
  const stackCost = (of: ConversationStack, to: Target) =>
    measureCpuCost(
      of.sql,
      new URL(of.stack.databaseUrl).pathname.slice(1),
      {
        conversation: of.conversation.pid,
        identity: of.stack.identity.pid,
        ...(of.knowledge && {
          'knowledge-base': of.knowledge.server.pid,
          'knowledge-base worker': of.knowledge.worker.pid,
        }),
      },
      () => answered(to),
    );
  const turnCost = await stackCost(current, targets.direct!);
  const floorCost = await measureCpuCost(
    current.sql,
    new URL(stack.databaseUrl).pathname.slice(1),
    { floor: floor.pid },
    () => answered(targets.floor!),
  );
  const beforeCost = before ? await stackCost(before, targets.baselineDirect!) : undefined;
  const streamP50 = (name: StreamContender) => {
    const sorted = [...fullStream[name]].sort((a, b) => a - b);
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
  const direct = messages.direct!;
  const floorRate = messages.floor!.perSecond;
  const messageRow = (label: string, m: Measurement) =>
    row(
      `messages, JSON, ${label} (${MESSAGE_CONCURRENCY} sessions)`,
      m,
      [m.perSecond / direct.perSecond, m.perSecond / floorRate],
      '–',
    );
  const streamRow = (label: string, name: StreamContender) =>
    row(
      `SSE first byte, ${label} (${SSE_CONCURRENCY} streams)`,
      ttfb[name]!,
      [ttfb[name]!.p50Ms / ttfb.direct!.p50Ms, Number.NaN],
      formatNumber(streamP50(name)),
    );
  const kbSource = current.knowledgeSource;
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
        messageRow('through the gateway', messages.gateway!),
        messageRow('straight to conversation', direct),
        ...(messages.baseline
          ? [messageRow("straight to the baseline tree's conversation", messages.baseline)]
          : []),
        ...(before
          ? [
              messageRow('through the gateway, baseline stack', messages.baselineGateway!),
              messageRow('straight to conversation, baseline stack', messages.baselineDirect!),
            ]
          : []),
        row(
          `floor: token check + one transaction storing both messages and their outbox rows (${MESSAGE_CONCURRENCY} loops)`,
          messages.floor!,
          [floorRate / direct.perSecond, 1],
          '–',
        ),
        streamRow('through the gateway', 'gateway'),
        streamRow('straight to conversation', 'direct'),
        ...(before
          ? [
              streamRow('through the gateway, baseline stack', 'baselineGateway'),
              streamRow('straight to conversation, baseline stack', 'baselineDirect'),
            ]
          : []),
      ],
    ),
  );
  console.log(
    '\nThroughput ratios: messages/s over direct and over the floor (goal: gateway >= 0.50x the floor). First-byte ratio: p50 over direct p50 (above 1x is what the gateway adds).',
  );
  const costRow = (name: string, cost: CpuCost) => [
    name,
    formatNumber(cost.operations),
    Object.entries(cost.perOperationMs)
      .map(([process, ms]) => `${process} ${formatNumber(ms)}`)
      .join(', '),
    formatNumber(totalMs(cost)),
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
      [
        costRow('straight to conversation', turnCost),
        ...(beforeCost ? [costRow('straight to conversation, baseline stack', beforeCost)] : []),
        costRow('floor', floorCost),
      ],
    ),
  );
  // After over before, each pair measured in the same rounds: the figures this run exists for.
  const comparison =
    before &&
    beforeAndAfter({
      messages: {
        gateway: [messages.baselineGateway!, messages.gateway!],
        direct: [messages.baselineDirect!, direct],
      },
      firstByte: {
        gateway: [ttfb.baselineGateway!, ttfb.gateway!],
        direct: [ttfb.baselineDirect!, ttfb.direct!],
      },
      cpu: [beforeCost!, turnCost],
    });
  if (comparison) {
    console.log(`\n### Before / after: the baseline stack (${stackTree}) and this tree, same rounds\n`);
    console.log(
      markdownTable(
        ['Figure', 'before', 'after', 'after / before'],
        comparison.map(({ figure, before: was, after: is, ratio }) => [
          figure,
          formatNumber(was),
          formatNumber(is),
          formatRatio(ratio),
        ]),
      ),
    );
    if (before.knowledgeSource !== kbSource)
      console.log(`\nThe baseline stack's knowledge came from the ${before.knowledgeSource}.`);
  }

  const figures = (m: Measurement) => ({
    perSecond: round(m.perSecond, 1),
    p50Ms: round(m.p50Ms, 2),
    p99Ms: round(m.p99Ms, 2),
    operations: m.operations,
    non2xx: m.non2xx,
    errors: m.errors,
    seconds: round(m.seconds, 2),
  });
  const streamFigures = (name: StreamContender) => ({
    ...figures(ttfb[name]!),
    fullReplyP50Ms: round(streamP50(name), 2),
  });
  const file = await writeResults('conversation', {
    settings: { ...settings, messageConcurrency: MESSAGE_CONCURRENCY, sseConcurrency: SSE_CONCURRENCY },
    knowledgeBase: { source: kbSource, documents: HANDBOOK_DOCUMENTS },
    messages: {
      gateway: figures(messages.gateway!),
      direct: figures(direct),
      floor: figures(messages.floor!),
      gatewayOverDirect: round(messages.gateway!.perSecond / direct.perSecond),
      gatewayOverFloor: round(messages.gateway!.perSecond / floorRate),
      directOverFloor: round(direct.perSecond / floorRate),
      ...(messages.baseline && {
        baselineTree: tree,
        baseline: figures(messages.baseline),
        baselineOverFloor: round(messages.baseline.perSecond / floorRate),
      }),
      ...(before && {
        baselineStack: {
          tree: stackTree,
          knowledgeBase: before.knowledgeSource,
          gateway: figures(messages.baselineGateway!),
          direct: figures(messages.baselineDirect!),
        },
      }),
    },
    cpuPerMessage: {
      seconds: costSeconds,
      direct: turnCost,
      floor: floorCost,
      ...(beforeCost && { baselineStackDirect: beforeCost }),
    },
    sseFirstByte: {
      gateway: streamFigures('gateway'),
      direct: streamFigures('direct'),
      gatewayOverDirectP50: round(ttfb.gateway!.p50Ms / ttfb.direct!.p50Ms),
      ...(before && {
        baselineStack: { gateway: streamFigures('baselineGateway'), direct: streamFigures('baselineDirect') },
      }),
    },
    ...(comparison && {
      afterOverBefore: Object.fromEntries(comparison.map(({ key, ratio }) => [key, round(ratio)])),
    }),
    machine: machine(),
  });
  console.error(`conversation: results in ${file}`);
}

const totalMs = (cost: CpuCost) => Object.values(cost.perOperationMs).reduce((sum, ms) => sum + ms, 0);

/**
 * The before / after pairs of a run with a baseline stack, each as after over before: above 1x
 * is more messages per second, and more milliseconds (a slower first byte, more CPU per message).
 */
function beforeAndAfter(pairs: {
  messages: Record<'gateway' | 'direct', [before: Measurement, after: Measurement]>;
  firstByte: Record<'gateway' | 'direct', [before: Measurement, after: Measurement]>;
  cpu: [before: CpuCost, after: CpuCost];
}): { key: string; figure: string; before: number; after: number; ratio: number }[] {
  const pair = (key: string, figure: string, before: number, after: number) => ({
    key,
    figure,
    before,
    after,
    ratio: after / before,
  });
  const [cpuBefore, cpuAfter] = pairs.cpu;
  return [
    pair(
      'messagesPerSecondGateway',
      'messages/s through the gateway',
      pairs.messages.gateway[0].perSecond,
      pairs.messages.gateway[1].perSecond,
    ),
    pair(
      'messagesPerSecondDirect',
      'messages/s straight to conversation',
      pairs.messages.direct[0].perSecond,
      pairs.messages.direct[1].perSecond,
    ),
    pair(
      'messageP50Gateway',
      'message p50 ms through the gateway',
      pairs.messages.gateway[0].p50Ms,
      pairs.messages.gateway[1].p50Ms,
    ),
    pair(
      'messageP50Direct',
      'message p50 ms straight to conversation',
      pairs.messages.direct[0].p50Ms,
      pairs.messages.direct[1].p50Ms,
    ),
    pair(
      'firstByteP50Gateway',
      'SSE first byte p50 ms through the gateway',
      pairs.firstByte.gateway[0].p50Ms,
      pairs.firstByte.gateway[1].p50Ms,
    ),
    pair(
      'firstByteP50Direct',
      'SSE first byte p50 ms straight to conversation',
      pairs.firstByte.direct[0].p50Ms,
      pairs.firstByte.direct[1].p50Ms,
    ),
    pair(
      'cpuMsPerMessage',
      'CPU ms per message (straight, all processes)',
      totalMs(cpuBefore),
      totalMs(cpuAfter),
    ),
    pair(
      'transactionsPerMessage',
      'Postgres transactions per message',
      cpuBefore.transactionsPerOperation,
      cpuAfter.transactionsPerOperation,
    ),
  ];
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
