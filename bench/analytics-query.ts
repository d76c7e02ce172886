import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { timeSeries } from '@conduit/analytics/src/domain/queries/time-series.js';
import { migrationsDir, SCHEMA } from '@conduit/analytics/src/service.js';
import type { Actor } from '@conduit/contracts';
import { createDatabase, type Database, runtimeUrl } from '@conduit/db';
import { createTestDatabase } from '@conduit/testing';
import postgres from 'postgres';
import { compareQueries, loadEvents } from './analytics.js';
import { cleanUpAll, cleanUpOnSignals, deferCleanup } from './harness/cleanup.js';
import { machine } from './harness/report.js';
import { numberSetting } from './harness/settings.js';

/**
 * The query part of the `analytics` scenario alone, with its plan: `BENCH_QUERY_EVENTS` events
 * loaded in bulk (as the scenario does), then the 30-day daily series by bot of the organization
 * timed (the scenario's compareQueries) and the statement the service runs for it explained
 * (ANALYZE, BUFFERS) in the service's own transaction: the runtime role, the actor's settings.
 * `BENCH_THEN_SQL` (files, comma-separated) are then run one by one as the owner, the same measured
 * after each: a before / after over the same rows. A file of analytics' migrations named there is
 * left out of the database's migrations until then. The database is dropped at the end, or on a
 * failure.
 *
 * `pnpm --filter @conduit/bench exec tsx analytics-query.ts`
 */
async function main() {
  const events = numberSetting('BENCH_QUERY_EVENTS', 1_000_000);
  const runs = numberSetting('BENCH_QUERY_RUNS', 20);
  const then = process.env.BENCH_THEN_SQL?.split(',').filter(Boolean) ?? [];
  const before = await mkdtemp(join(tmpdir(), 'analytics-migrations-'));
  deferCleanup(() => rm(before, { recursive: true, force: true }));
  await cp(migrationsDir, before, {
    recursive: true,
    filter: (file) => !then.some((later) => basename(later) === basename(file)),
  });
  const database = await createTestDatabase([{ schema: SCHEMA, migrationsDir: before }]);
  deferCleanup(() => database.drop());
  const admin = postgres(database.adminUrl, { max: 4, onnotice: () => {} });
  deferCleanup(() => admin.end({ timeout: 5 }));
  const runtime = createDatabase(runtimeUrl(database.adminUrl, SCHEMA), { max: 2 });
  deferCleanup(() => runtime.close());

  const orgId = randomUUID();
  const bots = Array.from({ length: 50 }, () => randomUUID());
  const users = Array.from({ length: 1000 }, () => randomUUID());
  console.error(`analytics-query: loading ${events} events...`);
  const loaded = await loadEvents(admin, events, orgId, bots, users);
  console.error(
    `analytics-query: ${loaded.counterRows} counter rows, loaded in ${Math.round(loaded.seconds)} s`,
  );

  const measure = async (label: string) => {
    const [size] = await admin<{ table: string; indexes: string }[]>`
      select pg_size_pretty(pg_relation_size('analytics.rollups')) as table,
        pg_size_pretty(pg_indexes_size('analytics.rollups')) as indexes`;
    console.log(`\n## ${label}: ${events} events, ${loaded.counterRows} counter rows`);
    console.log(`rollups: table ${size!.table}, indexes ${size!.indexes}`);
    console.log(await explainSeries(runtime.db, orgId));
    const times = await compareQueries(database.adminUrl, admin, orgId, runs);
    console.log(`load average ${machine().loadAverage}:`, JSON.stringify(times));
    console.log(`record_events now (what the indexes cost a write): ${JSON.stringify(await recordNow())}`);
  };
  // Batches of 500 events of this quarter hour through record_events, as the worker writes them:
  // their time, and how many of the counter updates were HOT (no index entry written).
  const recordNow = async () => {
    const stats = async () => {
      await sleep(1500);
      const [row] = await admin<{ updated: string; hot: string }[]>`
        select n_tup_upd as updated, n_tup_hot_upd as hot from pg_stat_user_tables
        where schemaname = 'analytics' and relname = 'rollups'`;
      return { updated: Number(row!.updated), hot: Number(row!.hot) };
    };
    const start = await stats();
    const began = performance.now();
    for (let batch = 0; batch < 20; batch++) {
      const rows = Array.from({ length: 500 }, (_, i) => ({
        id: randomUUID(),
        event_type: 'conversation.message.created',
        source: 'conversation',
        occurred_at: new Date().toISOString(),
        organization_id: orgId,
        user_id: users[(batch * 500 + i) % users.length],
        bot_id: bots[(batch * 500 + i) % bots.length],
        metrics: { messages: 1 },
        event_data: {},
      }));
      await admin`select analytics.record_events(${admin.json(rows)})`;
    }
    const ms = performance.now() - began;
    const end = await stats();
    return {
      batches: 20,
      msPerBatch: Math.round(ms / 20),
      counterUpdates: end.updated - start.updated,
      hot: end.hot - start.hot,
    };
  };
  await measure('before');
  for (const file of then) {
    await admin.unsafe(await readFile(file, 'utf8'));
    await admin`vacuum analyze analytics.rollups`;
    await measure(`after ${basename(file)}`);
  }
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of each statement `timeSeries` runs on the counters, in its own
 * transaction (so as the runtime role with the settings asActor and asViewer made), text and
 * parameters exactly as drizzle sends them.
 */
async function explainSeries(db: Database, orgId: string) {
  const plans: string[] = [];
  type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];
  const spy = (tx: Tx) =>
    new Proxy(tx, {
      get(target, property, receiver) {
        if (property !== 'execute') return Reflect.get(target, property, receiver);
        return async (query: Parameters<Tx['execute']>[0]) => {
          const internals = target as unknown as {
            dialect: { sqlToQuery(q: unknown): { sql: string; params: unknown[] } };
            session: { client: postgres.Sql };
          };
          const { sql: text, params } = internals.dialect.sqlToQuery(query);
          if (text.includes('"analytics"."rollups"')) {
            const rows = await internals.session.client.unsafe(
              `explain (analyze, buffers) ${text}`,
              params as postgres.ParameterOrJSON<never>[],
            );
            plans.push(
              `${text}\n-- ${JSON.stringify(params)}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`,
            );
          }
          return target.execute(query);
        };
      },
    });
  const spied = new Proxy(db, {
    get(target, property, receiver) {
      if (property !== 'transaction') return Reflect.get(target, property, receiver);
      return (fn: (tx: Tx) => Promise<unknown>) => target.transaction((tx) => fn(spy(tx)));
    },
  });
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
  await timeSeries({ db: spied }, actor, {
    scope: 'organization',
    metric: 'messages',
    from: from.toISOString(),
    to: to.toISOString(),
    interval: 'day',
    tz: 'UTC',
    groupBy: 'bot',
    groups: 50,
  });
  return plans.join('\n\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  cleanUpOnSignals();
  try {
    await main();
  } finally {
    await cleanUpAll();
  }
}
