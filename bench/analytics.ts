import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { NONE } from '@conduit/analytics/src/db/schema.js';
import { timeSeries } from '@conduit/analytics/src/domain/queries/time-series.js';
import { migrationsDir, SCHEMA } from '@conduit/analytics/src/service.js';
import { type Bus, connectBus, streamConsumerLag, streamNameFor } from '@conduit/bus';
import type { Actor } from '@conduit/contracts';
import { createDatabase, runtimeUrl, uuidv7 } from '@conduit/db';
import { createTestDatabase, localServices, uniqueName } from '@conduit/testing';
import { AckPolicy, DeliverPolicy } from 'nats';
import postgres from 'postgres';
import { deferCleanup } from './harness/cleanup.js';
import { formatNumber, formatRatio, machine, markdownTable, round, writeResults } from './harness/report.js';
import { numberSetting } from './harness/settings.js';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));

/**
 * Scenario: what analytics costs. (1) Sustained ingestion: a backlog of `conversation` events
 * drained by the analytics worker (a process of its own: batches into user_analytics with their
 * counters, in one transaction each), next to a bare durable JetStream consumer in this process
 * that only acks the same messages, in the same run; the ratio is the service's cost. (2) Lag at a
 * steady 2,000 events/s: p50/p99 of arrival minus occurrence. (3) A 30-day daily series by bot
 * over many events (BENCH_QUERY_EVENTS, 10 million for the issue's figure), answered by the
 * service's verb from its counters, next to the same answer by a bare GROUP BY over the raw rows.
 */
export async function analyticsScenario(): Promise<void> {
  const settings = {
    backlog: numberSetting('BENCH_EVENTS', 100_000),
    steadyRate: numberSetting('BENCH_STEADY_RATE', 2000),
    steadySeconds: numberSetting('BENCH_STEADY_SECONDS', 15),
    queryEvents: numberSetting('BENCH_QUERY_EVENTS', 10_000_000),
    queryRuns: numberSetting('BENCH_QUERY_RUNS', 20),
    bots: 50,
    users: 1000,
  };
  const namespace = uniqueName('bench');
  const database = await createTestDatabase([{ schema: SCHEMA, migrationsDir }]);
  deferCleanup(() => database.drop());
  const bus = await connectBus({ servers: localServices.natsUrl, name: 'bench-analytics', namespace });
  deferCleanup(async () => {
    for (const service of ['conversation', SCHEMA])
      await bus.jsm.streams.delete(streamNameFor(namespace, service)).catch(() => {});
    await bus.close();
  });
  await bus.ensureStream('conversation');
  const admin = postgres(database.adminUrl, { max: 4, onnotice: () => {} });
  deferCleanup(() => admin.end({ timeout: 5 }));
  const env = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    LOG_PRETTY: 'false',
    OTEL_EXPORTER_OTLP_ENDPOINT: '',
    DATABASE_URL: database.adminUrl,
    REDIS_URL: localServices.redisUrl,
    NATS_URL: localServices.natsUrl,
    BUS_NAMESPACE: namespace,
    REDIS_KEY_PREFIX: `${namespace}:`,
    ANALYTICS_STREAMS: 'conversation',
  };

  const orgId = randomUUID();
  const bots = Array.from({ length: settings.bots }, () => randomUUID());
  const users = Array.from({ length: settings.users }, () => randomUUID());
  const message = (i: number, occurredAt = new Date()) =>
    JSON.stringify({
      id: uuidv7(),
      subject: 'conversation.message.created',
      version: 1,
      occurredAt: occurredAt.toISOString(),
      actor: { userId: users[i % users.length], sessionId: null, orgId },
      data: {
        messageId: randomUUID(),
        sessionId: randomUUID(),
        botId: bots[i % bots.length],
        userId: users[i % users.length],
        sender: i % 2 ? 'bot' : 'user',
        tokensIn: i % 2 ? 300 : 0,
        tokensOut: i % 2 ? 120 : 0,
        model: 'bench',
        latencyMs: 10,
      },
    });

  console.error(`analytics: publishing a backlog of ${settings.backlog} events...`);
  const subject = bus.subject('conversation.message.created');
  for (let i = 0; i < settings.backlog; i += 500)
    await Promise.all(
      Array.from({ length: Math.min(500, settings.backlog - i) }, (_, k) =>
        bus.js.publish(subject, message(i + k)),
      ),
    );

  console.error('analytics: a bare consumer that only acks drains it...');
  const bare = await drainWithBareConsumer(bus, settings.backlog);
  console.error('analytics: the analytics worker drains it...');
  const worker = await startWorker(env);
  const service = await drainWithWorker(bus, admin, settings.backlog);

  console.error(`analytics: ${settings.steadyRate} events/s for ${settings.steadySeconds} s...`);
  const steadyFrom = new Date();
  await publishSteadily(bus, subject, settings.steadyRate, settings.steadySeconds, (i) => message(i));
  await waitFor(
    async () => (await streamConsumerLag(bus, 'conversation', 'analytics-record-conversation')) === 0,
  );
  const [lag] = await admin<{ p50: number; p99: number; n: number }[]>`
    select percentile_cont(0.5) within group (order by extract(epoch from received_at - occurred_at) * 1000) as p50,
      percentile_cont(0.99) within group (order by extract(epoch from received_at - occurred_at) * 1000) as p99,
      count(*)::int as n
    from analytics.user_analytics where occurred_at >= ${steadyFrom}`;
  await worker.stop();

  console.error(`analytics: ${settings.queryEvents} events over 30 days for the query...`);
  const loaded = await loadEvents(admin, settings.queryEvents, orgId, bots, users);
  const query = await compareQueries(database.adminUrl, admin, orgId, settings.queryRuns);

  const results = {
    ingestion: {
      bareEventsPerSecond: round(bare.perSecond, 1),
      serviceEventsPerSecond: round(service.perSecond, 1),
      ratio: round(service.perSecond / bare.perSecond),
    },
    steady: {
      rate: settings.steadyRate,
      seconds: settings.steadySeconds,
      events: lag!.n,
      lagP50Ms: round(lag!.p50),
      lagP99Ms: round(lag!.p99),
    },
    query: {
      events: loaded.events,
      counterRows: loaded.counterRows,
      loadSeconds: round(loaded.seconds, 1),
      ...query,
    },
  };
  const file = await writeResults('analytics', { settings, results });
  console.log(
    `\n### analytics: ingestion and queries\n\n${machine().cpus} CPUs (load average ${machine().loadAverage}), ${process.version}.\n\n` +
      markdownTable(
        ['Ingestion (backlog of conversation events)', 'events/s', 'vs bare consumer'],
        [
          ['bare JetStream consumer, ack only', formatNumber(bare.perSecond), '1.00x'],
          [
            'analytics worker (rows + counters, one transaction per batch)',
            formatNumber(service.perSecond),
            formatRatio(service.perSecond / bare.perSecond),
          ],
        ],
      ) +
      `\n\nAt ${settings.steadyRate} events/s for ${settings.steadySeconds} s (${lag!.n} events): arrival minus occurrence p50 ${formatNumber(lag!.p50)} ms, p99 ${formatNumber(lag!.p99)} ms.\n\n` +
      markdownTable(
        [
          `30-day daily series by bot, ${formatNumber(loaded.events)} events`,
          'p50 ms',
          'p95 ms',
          'p50 vs bare',
        ],
        [
          [
            'analytics `timeSeries` (15-minute counters, org scope, RLS)',
            formatNumber(query.serviceP50Ms),
            formatNumber(query.serviceP95Ms),
            formatRatio(query.serviceP50Ms / query.bareP50Ms),
          ],
          [
            'bare `GROUP BY` over the raw rows (owner, no RLS)',
            formatNumber(query.bareP50Ms),
            formatNumber(query.bareP95Ms),
            '1.00x',
          ],
        ],
      ) +
      `\n\n(${file})\n`,
  );
}

async function startWorker(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: join(repoRoot, 'services/analytics'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = deferCleanup(async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
  });
  await waitFor(
    async () => output.includes('worker running'),
    60_000,
    () => `worker: ${output}`,
  );
  return { stop };
}

/** Events/s from the first recorded event to the last, read from the database. */
async function drainWithWorker(bus: Bus, admin: postgres.Sql, total: number) {
  const count = async () => Number((await admin`select count(*) as n from analytics.user_analytics`)[0]!.n);
  let first = 0;
  let start = 0;
  await waitFor(async () => {
    first = await count();
    start = performance.now();
    return first > 0;
  }, 60_000);
  await waitFor(
    async () => (await streamConsumerLag(bus, 'conversation', 'analytics-record-conversation')) === 0,
    600_000,
  );
  const seconds = (performance.now() - start) / 1000;
  const recorded = await count();
  if (recorded !== total) throw new Error(`${recorded} of ${total} events recorded`);
  return { perSecond: (recorded - first) / seconds };
}

/** A durable consumer of the same stream, pulling in the worker's batch size, that acks everything. */
async function drainWithBareConsumer(bus: Bus, total: number) {
  const stream = streamNameFor(bus.namespace, 'conversation');
  await bus.jsm.consumers.add(stream, {
    durable_name: 'bench-bare',
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: bus.subject('conversation.>'),
    max_ack_pending: 2000,
  });
  const consumer = await bus.js.consumers.get(stream, 'bench-bare');
  const messages = await consumer.consume({ max_messages: 1000 });
  let acked = 0;
  const start = performance.now();
  for await (const msg of messages) {
    JSON.parse(msg.string());
    msg.ack();
    // Stopping ends the loop; closing the iterator after a break would wait forever.
    if (++acked === total) messages.stop();
  }
  const seconds = (performance.now() - start) / 1000;
  await bus.jsm.consumers.delete(stream, 'bench-bare');
  return { perSecond: total / seconds };
}

async function publishSteadily(
  bus: Bus,
  subject: string,
  rate: number,
  seconds: number,
  body: (i: number) => string,
) {
  const tickMs = 50;
  const perTick = Math.round((rate * tickMs) / 1000);
  const start = performance.now();
  for (let tick = 0; tick < (seconds * 1000) / tickMs; tick++) {
    await Promise.all(
      Array.from({ length: perTick }, (_, k) => bus.js.publish(subject, body(tick * perTick + k))),
    );
    const next = start + (tick + 1) * tickMs;
    if (next > performance.now()) await sleep(next - performance.now());
  }
}

/**
 * Many message events over the last 30 days, loaded in bulk: one day per statement, its raw rows
 * generated in SQL, their id claims in event_keys and their counters added from the rows just
 * written, grouped exactly as analytics.record_events groups them (three levels, the bare total
 * and one per subject). The end state is the one record_events would leave, at a
 * fraction of its cost per event (no JSON round trip, no upsert per event); a check at the end
 * compares the organization's total with the number of events.
 */
export async function loadEvents(
  admin: postgres.Sql,
  events: number,
  orgId: string,
  bots: string[],
  users: string[],
) {
  const start = performance.now();
  const days = 30;
  const until = new Date();
  // Secondary indexes are built once after the load (same definitions), not row by row.
  const indexes = await admin<{ name: string; definition: string }[]>`
    select i.indexname as name, replace(i.indexdef, ' ON ONLY ', ' ON ') as definition
    from pg_indexes i
    where i.schemaname = 'analytics' and i.tablename in ('user_analytics', 'event_keys', 'rollups')
      and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`;
  for (const index of indexes) await admin`drop index ${admin(`analytics.${index.name}`)}`;
  for (let day = 0; day < days; day++) {
    await admin.begin(async (tx) => {
      // The bench's own database: losing the last commits on a crash costs nothing here.
      await tx`set local synchronous_commit = off`;
      await tx`set local work_mem = '128MB'`;
      const from = Math.floor((events * day) / days);
      const count = Math.floor((events * (day + 1)) / days) - from;
      const dayEnd = new Date(until.getTime() - day * 86_400_000);
      const dayStart = new Date(dayEnd.getTime() - 86_400_000);
      await tx`
        with written as (
          insert into analytics.user_analytics (
            id, event_type, source, occurred_at, received_at, organization_id, user_id, bot_id,
            metrics, event_data)
          select gen_random_uuid(), 'conversation.message.created', 'conversation', occurred_at,
            occurred_at, ${orgId}::uuid, users[1 + (i % ${users.length})], bots[1 + (i % ${bots.length})],
            '{"messages": 1}'::jsonb, '{}'::jsonb
          from (
            select i, ${dayStart}::timestamptz + random() * interval '1 day' as occurred_at
            from generate_series(${from}::int, ${from + count - 1}::int) i
            order by 2
          ) generated,
          (select ${users}::uuid[] as users, ${bots}::uuid[] as bots) ids
          returning *
        ),
        claimed as (insert into analytics.event_keys (id, occurred_at) select id, occurred_at from written)
        insert into analytics.rollups (metric, organization_id, bucket, user_id, team_id, dimension, dimension_id, value)
        select m.key, coalesce(e.organization_id, '00000000-0000-0000-0000-000000000000'),
          date_bin('15 minutes', e.occurred_at, timestamptz '2000-01-01 00:00:00+00'),
          l.user_id, l.team_id, d.dimension, d.dimension_id, sum(m.value::bigint)
        from written e
        cross join lateral jsonb_each_text(e.metrics) m
        cross join lateral (values
          (e.user_id, coalesce(e.team_id, '00000000-0000-0000-0000-000000000000'::uuid)),
          ('00000000-0000-0000-0000-000000000000'::uuid, e.team_id),
          ('00000000-0000-0000-0000-000000000000'::uuid, '00000000-0000-0000-0000-000000000000'::uuid)
        ) l(user_id, team_id)
        cross join lateral (values
          ('', '00000000-0000-0000-0000-000000000000'::uuid), ('bot', e.bot_id),
          ('workflow', e.workflow_id), ('collection', e.collection_id), ('account', e.account_id)
        ) d(dimension, dimension_id)
        where l.user_id is not null and l.team_id is not null and d.dimension_id is not null
          and m.value::bigint <> 0
        group by 1, 2, 3, 4, 5, 6, 7
        on conflict (metric, organization_id, bucket, user_id, team_id, dimension, dimension_id)
          do update set value = rollups.value + excluded.value`;
    });
    console.error(
      `analytics: ${Math.floor((events * (day + 1)) / days)} events loaded (${round((performance.now() - start) / 1000, 0)} s)...`,
    );
  }
  for (const index of indexes) await admin.unsafe(index.definition);
  await admin`vacuum analyze analytics.user_analytics`;
  await admin`vacuum analyze analytics.event_keys`;
  await admin`vacuum analyze analytics.rollups`;
  // The organization also holds the ingestion runs' events: its total counts every row of it.
  const [check] = await admin<{ counted: string; rows: string }[]>`
    select
      (select coalesce(sum(value), 0) from analytics.rollups
        where metric = 'messages' and organization_id = ${orgId} and user_id = ${NONE}
          and team_id = ${NONE} and dimension = '')::bigint as counted,
      (select count(*) from analytics.user_analytics where organization_id = ${orgId})::bigint as rows`;
  if (check!.counted !== check!.rows)
    throw new Error(`counters say ${check!.counted} messages, the organization has ${check!.rows} events`);
  const [row] = await admin`select count(*)::int as n from analytics.rollups where metric = 'messages'`;
  return { events, counterRows: row!.n as number, seconds: (performance.now() - start) / 1000 };
}

/** The service's verb (runtime role, RLS) and the bare GROUP BY (owner), alternating, `runs` each. */
export async function compareQueries(adminUrl: string, admin: postgres.Sql, orgId: string, runs: number) {
  const runtime = createDatabase(runtimeUrl(adminUrl, SCHEMA), { max: 2 });
  deferCleanup(() => runtime.close());
  const actor: Actor = {
    userId: randomUUID(),
    sessionId: randomUUID(),
    orgId,
    teams: {},
    permissions: ['analytics.read'],
    platformAdmin: false,
  };
  const to = new Date();
  to.setUTCHours(24, 0, 0, 0);
  const from = new Date(to.getTime() - 30 * 86_400_000);
  const viaService = async () => {
    const answer = await timeSeries({ db: runtime.db }, actor, {
      scope: 'organization',
      metric: 'messages',
      from: from.toISOString(),
      to: to.toISOString(),
      interval: 'day',
      tz: 'UTC',
      groupBy: 'bot',
      groups: 50,
    });
    return answer.series.length;
  };
  const viaGroupBy = async () => {
    const rows = await admin`
      select bot_id, date_trunc('day', occurred_at at time zone 'UTC') as day, count(*)
      from analytics.user_analytics
      where organization_id = ${orgId} and occurred_at >= ${from} and occurred_at < ${to}
      group by 1, 2`;
    return rows.length;
  };
  await viaService();
  await viaGroupBy();
  const service: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const [operation, times] of [
      [viaService, service],
      [viaGroupBy, bare],
    ] as const) {
      const began = performance.now();
      await operation();
      times.push(performance.now() - began);
    }
  }
  const pick = (times: number[], q: number) =>
    [...times].sort((a, b) => a - b)[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return {
    runs,
    serviceP50Ms: round(pick(service, 0.5)),
    serviceP95Ms: round(pick(service, 0.95)),
    bareP50Ms: round(pick(bare, 0.5)),
    bareP95Ms: round(pick(bare, 0.95)),
  };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 120_000, what = () => '') {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out ${what()}`);
    await sleep(20);
  }
}

// Also runnable on its own: `pnpm --filter @conduit/bench exec tsx analytics.ts`.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { cleanUpAll, cleanUpOnSignals } = await import('./harness/cleanup.js');
  cleanUpOnSignals();
  try {
    await analyticsScenario();
  } finally {
    await cleanUpAll();
  }
}
