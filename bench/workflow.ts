import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { streamNameFor } from '@conduit/bus';
import { localServices } from '@conduit/testing';
import { connect as connectNats } from 'nats';
import postgres from 'postgres';
import { registerBenchUser } from './harness/bench-user.js';
import { type ChildService, freePort, startChildService } from './harness/child-service.js';
import { deferCleanup } from './harness/cleanup.js';
import { measureCpuCost } from './harness/cpu-cost.js';
import { startIsolatedStack } from './harness/isolated-stack.js';
import { compareInRounds, httpContender } from './harness/measure.js';
import { formatNumber, formatRatio, machine, markdownTable, round, writeResults } from './harness/report.js';
import { numberSetting, roundSettings } from './harness/settings.js';

const benchDir = fileURLToPath(new URL('./', import.meta.url));
const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const engineDir = join(repoRoot, 'services/workflow-engine');
const logDir = join(benchDir, 'results/logs');

/** n8n 1.123 on SQLite, the same webhook -> set -> if -> respond shape at 16 connections (issue 11). */
const N8N = { perSecond: '11.5-12.3', p50Ms: '1,200-1,300' };

/**
 * Scenario: what the workflow engine costs. (a) A webhook -> set -> if -> respond-to-webhook
 * workflow called through the gateway (every node's run committed to Postgres, one execution of
 * usage reserved from identity per call), the same call straight to the engine, and the same
 * logic as a bare fastify handler with nothing persisted (`servers/webhook-logic.ts`), in turns at
 * 16 connections. (b) Overhead per node: a chain of 100 `set` nodes against a chain of 1, one
 * execution at a time, (t100 - t1) / 99 from the executions' own recorded times. (c) 1,000
 * executions started while the worker process is killed (SIGKILL) every few seconds and started
 * again: all must finish, no committed node may run again (its row never changes after its
 * commit), and the time they took against the same 1,000 with no kills.
 */
export async function workflowScenario(): Promise<void> {
  const settings = {
    connections: 16,
    ...roundSettings(),
    nodeRuns: numberSetting('BENCH_NODE_RUNS', 10),
    crashExecutions: numberSetting('BENCH_CRASH_EXECUTIONS', 1000),
    killEverySeconds: numberSetting('BENCH_KILL_EVERY', 5),
    /** (c) gives up (and reports how many finished) after this long. */
    crashLimitSeconds: numberSetting('BENCH_CRASH_LIMIT_SECONDS', 1800),
    /** The worker's EXECUTION_CONCURRENCY (the engine's default: 8). */
    executionConcurrency: numberSetting('BENCH_EXECUTION_CONCURRENCY', 8),
    // A dead worker's jobs are taken over once their lock runs out: the engine's defaults are 30 s
    // each, which would measure mostly the wait; these are the settings of its crash test, scaled.
    jobLockDuration: '5s',
    jobStalledInterval: '2s',
  };

  const port = await freePort();
  const bare = await startChildService({
    name: 'webhook-logic',
    entry: `${benchDir}servers/webhook-logic.ts`,
    cwd: benchDir,
    port,
    env: { PORT: String(port) },
    readyPath: '/',
  });

  const stack = await startIsolatedStack({ gateway: false });
  const owner = postgres(stack.databaseUrl, { max: 4, onnotice: () => {} });
  deferCleanup(() => owner.end({ timeout: 5 }));
  // The free plan's 1,000 executions a month would refuse most of the run: a plan without a ceiling.
  await owner`update identity.plans set limits = limits || '{"executions": 1000000000}'::jsonb`;

  const enginePort = await freePort();
  const engineEnv = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    OTEL_EXPORTER_OTLP_ENDPOINT: '',
    DATABASE_URL: stack.databaseUrl,
    REDIS_URL: localServices.redisUrl,
    NATS_URL: localServices.natsUrl,
    BUS_NAMESPACE: stack.busNamespace,
    REDIS_KEY_PREFIX: `${stack.busNamespace}:`,
    IDENTITY_URL: stack.identity.url,
    WORKFLOW_ENGINE_PORT: String(enginePort),
    WORKFLOW_ENGINE_HOST: '127.0.0.1',
    JOB_LOCK_DURATION: settings.jobLockDuration,
    JOB_STALLED_INTERVAL: settings.jobStalledInterval,
    EXECUTION_CONCURRENCY: String(settings.executionConcurrency),
  };
  const engine = await startChildService({
    name: 'workflow-engine',
    entry: join(engineDir, 'src/server.ts'),
    cwd: engineDir,
    port: enginePort,
    readyPath: '/health/ready',
    env: engineEnv,
  });
  const workers = workerProcesses(engineEnv);
  await workers.start();
  const gateway = await startGateway(stack, engine);

  const user = await registerBenchUser(gateway.url);
  const auth = { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' };
  const api = apiOf(gateway.url, auth);

  // (a) The webhook workflow against the bare handler.
  const hook = await api.post('/v1/workflows', webhookWorkflow());
  const hookBody = JSON.stringify({ quantity: 3, price: 50 });
  const expected = JSON.stringify({ tier: 'large', total: 150 });
  for (const url of [`${gateway.url}/v1/hooks/${hook.id}/bench`, `${bare.url}/hook`]) {
    const answer = await fetch(url, { method: 'POST', headers: auth, body: hookBody });
    const text = await answer.text();
    if (answer.status !== 200 || text !== expected)
      throw new Error(`${url} answered ${answer.status} ${text}, not ${expected}`);
  }
  const load = { method: 'POST' as const, body: hookBody, connections: settings.connections };
  const json = { 'content-type': 'application/json' };
  const measured = await compareInRounds(
    {
      bare: httpContender({ ...load, url: `${bare.url}/hook`, headers: json }),
      engine: httpContender({ ...load, url: `${engine.url}/v1/hooks/${hook.id}/bench`, headers: json }),
      gateway: httpContender({ ...load, url: `${gateway.url}/v1/hooks/${hook.id}/bench`, headers: json }),
    },
    settings,
    (message) => console.error(`workflow: ${message}`),
  );
  const persisted = await checkPersisted(owner, hook.id);

  // CPU per execution of every process a call crosses (straight to the engine): where the time
  // goes, in figures that hardly move with outside load.
  console.error(`workflow: CPU per execution, ${settings.seconds} s straight to the engine...`);
  const direct = httpContender({ ...load, url: `${engine.url}/v1/hooks/${hook.id}/bench`, headers: json });
  const cost = await measureCpuCost(
    owner,
    new URL(stack.databaseUrl).pathname.slice(1),
    {
      'engine (HTTP)': engine.pid,
      'engine worker': workers.pid,
      identity: stack.identity.pid,
      ...serverPids(),
    },
    async () => {
      const executions = (await direct(settings.seconds)).latencies.length;
      // What the executions left to do after their answers (their events relayed, then read by
      // the engine's own consumers) is part of their cost, however far a loaded machine lets it lag.
      await settled(owner, stack.busNamespace);
      return executions;
    },
  );

  // (b) Overhead per node.
  console.error('workflow: per-node overhead (1 and 100 set nodes)...');
  const one = await api.post('/v1/workflows', setChain(1));
  const hundred = await api.post('/v1/workflows', setChain(100));
  const t1 = await medianExecutionMs(api, owner, one.id, settings.nodeRuns);
  const t100 = await medianExecutionMs(api, owner, hundred.id, settings.nodeRuns);
  const perNodeMs = (t100 - t1) / 99;

  // What is measured so far is kept, should (c) not get through.
  await writeResults('workflow', {
    settings,
    results: { webhook: measured, persisted, perNode: { t1, t100, perNodeMs }, crashes: 'not measured yet' },
  });

  // (c) Executions through worker crashes.
  const crashWorkflow = await api.post('/v1/workflows', setChain(5, 'crash'));
  console.error(`workflow: ${settings.crashExecutions} executions, no kills...`);
  const calm = await runMany(
    api,
    owner,
    workers,
    crashWorkflow.id,
    settings.crashExecutions,
    0,
    settings.crashLimitSeconds,
  );
  await writeResults('workflow', {
    settings,
    results: { webhook: measured, persisted, perNode: { t1, t100, perNodeMs }, crashes: { calm } },
  });
  console.error(
    `workflow: ${settings.crashExecutions} executions, the worker killed every ${settings.killEverySeconds} s...`,
  );
  const crashed = await runMany(
    api,
    owner,
    workers,
    crashWorkflow.id,
    settings.crashExecutions,
    settings.killEverySeconds,
    settings.crashLimitSeconds,
  );

  const baseline = measured.bare;
  const results = {
    webhook: Object.fromEntries(
      (['bare', 'engine', 'gateway'] as const).map((key) => [
        key,
        {
          executionsPerSecond: round(measured[key].perSecond, 1),
          p50Ms: round(measured[key].p50Ms),
          p99Ms: round(measured[key].p99Ms),
          vsBare: round(measured[key].perSecond / baseline.perSecond, 4),
          requests: measured[key].operations,
          non2xx: measured[key].non2xx,
          errors: measured[key].errors,
        },
      ]),
    ),
    persisted,
    cpuPerExecution: cost,
    n8n: N8N,
    perNode: { t1Ms: round(t1), t100Ms: round(t100), perNodeMs: round(perNodeMs), runs: settings.nodeRuns },
    crashes: { calm, crashed, lostSeconds: round(crashed.seconds - calm.seconds, 1) },
  };
  const file = await writeResults('workflow', { settings, results });

  const labels = {
    bare: 'bare fastify handler (same logic, nothing persisted)',
    engine: 'workflow engine, direct',
    gateway: 'gateway -> workflow engine',
  } as const;
  console.log(
    `\n### workflow: webhook -> set -> if -> respond\n\n` +
      `${settings.connections} connections; ${settings.seconds} s per target in ${settings.rounds} rounds ` +
      `after a ${settings.warmupSeconds} s warm-up; one worker process (EXECUTION_CONCURRENCY ${settings.executionConcurrency}); ` +
      `${machine().cpus} CPUs (load average ${machine().loadAverage}), ${process.version}.\n\n` +
      markdownTable(
        ['Target', 'executions/s', 'p50 ms', 'p99 ms', 'vs bare', 'non-2xx / errors'],
        [
          ...(['bare', 'engine', 'gateway'] as const).map((key) => [
            labels[key],
            formatNumber(measured[key].perSecond),
            formatNumber(measured[key].p50Ms),
            formatNumber(measured[key].p99Ms),
            formatRatio(measured[key].perSecond / baseline.perSecond),
            `${measured[key].non2xx} / ${measured[key].errors}`,
          ]),
          ['n8n 1.123, SQLite (issue 11, for scale)', N8N.perSecond, N8N.p50Ms, 'n/a', 'n/a', ''],
        ],
      ) +
      `\n\nPersisted: ${persisted.executions} executions of the webhook workflow, ${persisted.succeeded} succeeded, ` +
      `${persisted.nodeRuns} node runs (${persisted.complete} executions with all 4 node runs committed); ` +
      `median ${formatNumber(persisted.queuedMs)} ms queued (recorded -> taken up), ${formatNumber(persisted.runMs)} ms ` +
      `run (taken up -> finished).\n\n` +
      `CPU per execution (${cost.operations} executions straight to the engine; Postgres: its backends): ` +
      Object.entries(cost.perOperationMs)
        .map(([name, ms]) => `${name} ${formatNumber(ms)} ms`)
        .join(', ') +
      `; ${formatNumber(Object.values(cost.perOperationMs).reduce((a, b) => a + b, 0))} ms in all, ` +
      `${formatNumber(cost.transactionsPerOperation)} Postgres transactions.\n\n` +
      `Per node: 1 set node ${formatNumber(t1)} ms, 100 set nodes ${formatNumber(t100)} ms (median of ` +
      `${settings.nodeRuns} executions each, as recorded by the engine): ${formatNumber(perNodeMs)} ms per node.\n\n` +
      markdownTable(
        [
          `${settings.crashExecutions} executions of a 5-set-node chain`,
          'seconds',
          'kills',
          'succeeded',
          'committed nodes run again',
        ],
        [
          ['no kills', formatNumber(calm.seconds), '0', String(calm.succeeded), String(calm.rerun)],
          [
            `worker SIGKILLed every ${settings.killEverySeconds} s and restarted`,
            formatNumber(crashed.seconds),
            String(crashed.kills),
            String(crashed.succeeded),
            String(crashed.rerun),
          ],
        ],
      ) +
      `\n\nTime lost to the kills: ${formatNumber(crashed.seconds - calm.seconds)} s.\n\n(${file})\n`,
  );
}

/** webhook (answered by a node) -> set -> if -> respond on either branch. */
function webhookWorkflow() {
  return {
    name: 'bench webhook',
    status: 'active',
    nodes: [
      { name: 'Hook', type: 'webhook', config: { path: 'bench', method: 'POST', respond: 'using-node' } },
      {
        name: 'Total',
        type: 'set',
        config: { fields: [{ name: 'total', value: '{{ body.quantity * body.price }}' }] },
      },
      { name: 'Large?', type: 'if', config: { condition: '{{ total > 100 }}' } },
      {
        name: 'Large',
        type: 'respond-to-webhook',
        config: { body: { tier: 'large', total: '{{ total }}' } },
      },
      {
        name: 'Small',
        type: 'respond-to-webhook',
        config: { body: { tier: 'small', total: '{{ total }}' } },
      },
    ],
    connections: [
      { source: 'Hook', target: 'Total' },
      { source: 'Total', target: 'Large?' },
      { source: 'Large?', type: 'true', target: 'Large' },
      { source: 'Large?', type: 'false', target: 'Small' },
    ],
  };
}

/** A manual trigger and `length` set nodes in a line, each counting one up. */
function setChain(length: number, name = `chain of ${length}`) {
  const nodes = [
    { name: 'Start', type: 'manual', config: {} },
    ...Array.from({ length }, (_, i) => ({
      name: `Set ${i + 1}`,
      type: 'set',
      config: { fields: [{ name: 'n', value: '{{ $exists(n) ? n + 1 : 1 }}' }] },
    })),
  ];
  return {
    name,
    nodes,
    connections: nodes.slice(1).map((node, i) => ({ source: nodes[i]!.name, target: node.name })),
  };
}

type Api = ReturnType<typeof apiOf>;

function apiOf(baseUrl: string, headers: Record<string, string>) {
  return {
    async post(path: string, body: unknown): Promise<{ id: string; executionId: string }> {
      const response = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      });
      const text = await response.text();
      if (response.status >= 300) throw new Error(`POST ${path} answered ${response.status}: ${text}`);
      return JSON.parse(text);
    },
  };
}

/** Every execution of the webhook workflow, finished, with a committed run of each node it passed. */
async function checkPersisted(owner: postgres.Sql, workflowId: string) {
  // The load generator abandons requests in flight at the end of each turn: let them finish.
  await waitFor(async () => {
    const [left] = await owner`select count(*)::int as n from workflow.workflow_executions
      where workflow_id = ${workflowId} and status in ('queued', 'running', 'waiting')`;
    return left!.n === 0;
  }, 120_000);
  const [row] = await owner`
    with runs as (
      select e.id, e.status, count(n.id) filter (where n.status = 'success') as done, count(n.id) as runs
      from workflow.workflow_executions e left join workflow.node_executions n on n.execution_id = e.id
      where e.workflow_id = ${workflowId} group by e.id, e.status)
    select count(*)::int as executions, count(*) filter (where status = 'success')::int as succeeded,
      sum(runs)::int as "nodeRuns", count(*) filter (where done = 4)::int as complete
    from runs`;
  // Where an execution's time went, from its own recorded times (medians, ms): queued (recorded
  // -> taken up by the worker; 0 for one run in the request, which is recorded once it has run)
  // and run (taken up -> finished).
  const [phases] = await owner`
    select round((percentile_cont(0.5) within group (order by greatest(0, extract(epoch from started_at - created_at))) * 1000)::numeric, 1)::float as "queuedMs",
      round((percentile_cont(0.5) within group (order by extract(epoch from finished_at - started_at)) * 1000)::numeric, 1)::float as "runMs"
    from workflow.workflow_executions where workflow_id = ${workflowId} and status = 'success'`;
  return { ...row, ...phases } as unknown as {
    executions: number;
    succeeded: number;
    nodeRuns: number;
    complete: number;
    queuedMs: number;
    runMs: number;
  };
}

/** Median of the engine's own time (taken up to finished) of `runs` executions, one at a time. */
async function medianExecutionMs(api: Api, owner: postgres.Sql, workflowId: string, runs: number) {
  const times: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const { executionId } = await api.post(`/v1/workflows/${workflowId}/run`, { input: [{}] });
    let ms: number | undefined;
    await waitFor(async () => {
      const [row] = await owner`select status,
          extract(epoch from finished_at - started_at) * 1000 as ms
        from workflow.workflow_executions where id = ${executionId}`;
      if (row?.status === 'error') throw new Error(`execution ${executionId} failed`);
      ms = row?.status === 'success' ? Number(row.ms) : undefined;
      return ms !== undefined;
    }, 60_000);
    // The first two warm the JIT and the connection pools up.
    if (i >= 2) times.push(ms!);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * Starts `count` executions (16 at a time through the API) and waits until all have finished,
 * killing the worker every `killEverySeconds` (0: never) and starting a new one at once. After each
 * kill the committed node runs are noted (attempt and finish time); at the end none may differ.
 */
async function runMany(
  api: Api,
  owner: postgres.Sql,
  workers: ReturnType<typeof workerProcesses>,
  workflowId: string,
  count: number,
  killEverySeconds: number,
  limitSeconds: number,
) {
  await owner`delete from workflow.workflow_executions where workflow_id = ${workflowId}`;
  const started = performance.now();
  let submitted = 0;
  const submit = async () => {
    while (submitted < count) {
      submitted++;
      await api.post(`/v1/workflows/${workflowId}/run`, { input: [{}] });
    }
  };
  const submitting = Promise.all(Array.from({ length: 16 }, submit));

  const committed = new Map<string, string>();
  const noteCommitted = async () => {
    const rows = await owner`select n.id, n.attempt, n.finished_at from workflow.node_executions n
      join workflow.workflow_executions e on e.id = n.execution_id
      where e.workflow_id = ${workflowId} and n.status = 'success'`;
    for (const row of rows)
      if (!committed.has(row.id)) committed.set(row.id, `${row.attempt}@${row.finished_at.toISOString()}`);
  };
  let kills = 0;
  const remaining = async () => {
    const [row] =
      await owner`select count(*) filter (where status in ('queued', 'running', 'waiting'))::int as left,
        count(*)::int as total
      from workflow.workflow_executions where workflow_id = ${workflowId}`;
    return row!.total < count ? Number.POSITIVE_INFINITY : row!.left;
  };
  let nextKill = performance.now() + killEverySeconds * 1000;
  for (;;) {
    if ((await remaining()) === 0) break;
    // Reported, not thrown: how far it got is a figure too.
    if (performance.now() - started > limitSeconds * 1000) break;
    if (killEverySeconds && performance.now() >= nextKill) {
      await workers.kill();
      kills++;
      await noteCommitted();
      await workers.start();
      nextKill = performance.now() + killEverySeconds * 1000;
    }
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  const finishedInTime = (await remaining()) === 0;
  await submitting;
  await noteCommitted();

  const rows = await owner`select n.id, n.attempt, n.finished_at from workflow.node_executions n
    join workflow.workflow_executions e on e.id = n.execution_id where e.workflow_id = ${workflowId}`;
  const now = new Map(rows.map((row) => [row.id, `${row.attempt}@${row.finished_at?.toISOString()}`]));
  const rerun = [...committed].filter(([id, seen]) => now.get(id) !== seen).length;
  const [tally] = await owner`select count(*) filter (where status = 'success')::int as succeeded,
      count(*) filter (where status <> 'success')::int as failed
    from workflow.workflow_executions where workflow_id = ${workflowId}`;
  const [attempts] = await owner`select count(*) filter (where n.attempt > 1)::int as "retakenNodes"
    from workflow.node_executions n join workflow.workflow_executions e on e.id = n.execution_id
    where e.workflow_id = ${workflowId}`;
  return {
    executions: count,
    finishedInTime,
    seconds: round(seconds, 1),
    kills,
    succeeded: tally!.succeeded as number,
    failed: tally!.failed as number,
    committedNodesChecked: committed.size,
    rerun,
    // Node runs taken over after a kill (cut before their commit): run again, as they must be.
    retakenNodes: attempts!.retakenNodes as number,
  };
}

/**
 * The engine's worker (src/worker.ts) as processes this scenario can kill: one at a time, started
 * again at once, each ready when it logs that it runs. Its output goes to
 * `bench/results/logs/workflow-worker.log`.
 */
function workerProcesses(env: Record<string, string>) {
  let current: { child: ChildProcess; exited: Promise<void> } | undefined;
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(join(logDir, 'workflow-worker.log'), { flags: 'a' });
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (!current) return;
    const { child, exited } = current;
    current = undefined;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  deferCleanup(async () => {
    await kill('SIGTERM');
    log.end();
  });
  return {
    kill: () => kill('SIGKILL'),
    /** The running worker's process id (0 when none runs). */
    get pid() {
      return current?.child.pid ?? 0;
    },
    async start() {
      // BENCH_CPU_PROF profiles the worker too (written when it stops, so not after a SIGKILL).
      const profile = process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.BENCH_CPU_PROF)}`]
        : [];
      const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'src/worker.ts'], {
        cwd: engineDir,
        // info: the line that says it runs; the worker logs little else on a good run.
        env: { ...process.env, ...env, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const killOnExit = () => child.kill('SIGKILL');
      process.once('exit', killOnExit);
      void exited.then(() => process.off('exit', killOnExit));
      current = { child, exited };
      let ready = false;
      for (const stream of [child.stdout!, child.stderr!])
        stream.on('data', (chunk: Buffer) => {
          log.write(chunk);
          if (chunk.toString().includes('worker running')) ready = true;
        });
      // A loaded machine takes its time to start a process: generous, it is not what is measured.
      await waitFor(async () => ready, 180_000);
    },
  };
}

/** Redis's and NATS's own processes, by name (they serve every call too); none where pidof finds none. */
function serverPids(): Record<string, number> {
  const pids: Record<string, number> = {};
  for (const name of ['redis-server', 'nats-server']) {
    try {
      const pid = Number(execFileSync('pidof', ['-s', name], { encoding: 'utf8' }).trim());
      if (pid) pids[name] = pid;
    } catch {
      // Not running here as a local process (e.g. in a container): not measured.
    }
  }
  return pids;
}

/** The gateway in front of identity and this engine, with limits out of reach (as the stack's own). */
async function startGateway(
  stack: Awaited<ReturnType<typeof startIsolatedStack>>,
  engine: ChildService,
): Promise<ChildService> {
  const port = await freePort();
  return startChildService({
    name: 'workflow-gateway',
    entry: join(repoRoot, 'services/gateway/src/server.ts'),
    cwd: join(repoRoot, 'services/gateway'),
    port,
    // Its /health/ready wants every service it fronts; this run has only identity and the engine.
    readyPath: '/health/live',
    env: {
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      LOG_PRETTY: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      REDIS_URL: localServices.redisUrl,
      NATS_URL: localServices.natsUrl,
      BUS_NAMESPACE: stack.busNamespace,
      REDIS_KEY_PREFIX: `${stack.busNamespace}:`,
      GATEWAY_PORT: String(port),
      GATEWAY_HOST: '127.0.0.1',
      IDENTITY_URL: stack.identity.url,
      WORKFLOW_ENGINE_URL: engine.url,
      RATE_LIMIT_MAX: '1000000000',
      AUTH_RATE_LIMIT_MAX: '1000000000',
    },
  });
}

/**
 * Waits until every event the engine recorded is published (its outbox has no row left to relay)
 * and read by every consumer of its stream (the event triggers' among them).
 */
async function settled(owner: postgres.Sql, namespace: string) {
  const nc = await connectNats({ servers: localServices.natsUrl });
  try {
    const jsm = await nc.jetstreamManager();
    const stream = streamNameFor(namespace, 'workflow');
    // Seldom: each look at the outbox is a transaction of the database measured.
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(250)) {
      const [outbox] = await owner`select count(*)::int as n from workflow.outbox where published_at is null`;
      if (outbox!.n > 0) continue;
      const consumers = await jsm.consumers.list(stream).next();
      if (consumers.every((consumer) => consumer.num_pending + consumer.num_ack_pending === 0)) return;
    }
    throw new Error('the engine had not relayed and read its events after 120 s');
  } finally {
    await nc.close();
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await sleep(20);
  }
}

// Also runnable on its own: `pnpm --filter @conduit/bench exec tsx workflow.ts`.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { cleanUpAll, cleanUpOnSignals } = await import('./harness/cleanup.js');
  cleanUpOnSignals();
  try {
    await workflowScenario();
  } finally {
    await cleanUpAll();
  }
}
