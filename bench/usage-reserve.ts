import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { localServices } from '@conduit/testing';
import { connect, type NatsConnection } from 'nats';
import postgres from 'postgres';
import { freePort, startChildService } from './harness/child-service.js';
import { startIsolatedStack } from './harness/isolated-stack.js';
import { type Measurement, measureAsync } from './harness/measure.js';
import { formatNumber, formatRatio, machine, markdownTable, round, writeResults } from './harness/report.js';
import { numberSetting } from './harness/settings.js';

const benchDir = fileURLToPath(new URL('./', import.meta.url));
const RESERVE_SUBJECT = 'rpc.identity.usage.reserve';
/** What each reservation asks for, as the SQL function takes it. */
const EXECUTION = JSON.stringify([{ metric: 'executions', amount: 1 }]);

/**
 * Scenario: what a usage reservation costs over the bus. `rpc.identity.usage.reserve` answered by
 * identity (a real process, on an isolated stack) against a bare NATS request/reply round trip to
 * a responder that does no work (`servers/nats-echo.ts`, also a process of its own), at the same
 * fixed concurrency and with the same client: a plain `nc.request` with the JSON an RPC caller
 * sends, so the difference is identity's work (validation, the atomic SQL function, a Postgres
 * commit). Reservations are measured spread over many subjects (the usual case) and all on one
 * subject (every call waits for the row lock of the one before it), and the SQL function alone is
 * measured straight from this process, which tells the database's share from the bus's.
 */
export async function usageReserveScenario(): Promise<void> {
  const settings = {
    concurrency: 32,
    subjects: 1000,
    seconds: numberSetting('BENCH_SECONDS', 10),
    warmupSeconds: numberSetting('BENCH_WARMUP_SECONDS', 3),
  };
  const measure = (operation: () => Promise<unknown>) =>
    measureAsync(operation, {
      concurrency: settings.concurrency,
      seconds: settings.seconds,
      warmupSeconds: settings.warmupSeconds,
    });
  const rows: { operation: string; measurement: Measurement }[] = [];
  const nc = await connect({ servers: localServices.natsUrl, name: 'bench-usage-reserve' });
  try {
    rows.push({
      operation: 'bare NATS request/reply (no-op responder)',
      measurement: await measureEcho(nc, measure),
    });

    const stack = await startIsolatedStack({ gateway: false });
    const sql = postgres(stack.databaseUrl, { max: 10, onnotice: () => {} });
    try {
      const subjects = await createSubjects(sql, settings.subjects);
      const subject = `${stack.busNamespace}.${RESERVE_SUBJECT}`;
      const reserveOver = (pick: () => string) => async () => {
        const body = JSON.stringify({
          subject: { type: 'team', id: pick() },
          items: [{ metric: 'executions', amount: 1 }],
        });
        const reply = (await nc.request(subject, body, { timeout: 10_000 })).json<{
          ok: boolean;
          data?: { granted: boolean };
        }>();
        if (!reply.ok || !reply.data?.granted) throw new Error(`not granted: ${JSON.stringify(reply)}`);
      };
      let next = 0;
      const roundRobin = () => subjects[next++ % subjects.length]!;
      await reserveOver(roundRobin)();

      console.error(`usage-reserve: reservation RPC over ${settings.subjects} subjects...`);
      rows.push({
        operation: `\`${RESERVE_SUBJECT}\` (identity), ${settings.subjects} subjects`,
        measurement: await measure(reserveOver(roundRobin)),
      });
      console.error('usage-reserve: reservation RPC on one subject...');
      rows.push({
        operation: `\`${RESERVE_SUBJECT}\` (identity), one subject`,
        measurement: await measure(reserveOver(() => subjects[0]!)),
      });
      console.error('usage-reserve: identity.reserve_usage() straight from this process...');
      rows.push({
        operation: `\`identity.reserve_usage()\` SQL only (no bus), ${settings.subjects} subjects`,
        measurement: await measure(async () => {
          const [row] =
            await sql`select granted from identity.reserve_usage('team', ${roundRobin()}, ${EXECUTION}::jsonb, gen_random_uuid())`;
          if (!row?.granted) throw new Error('not granted');
        }),
      });
    } finally {
      await sql.end({ timeout: 5 });
      await stack.stop();
    }
  } finally {
    await nc.close();
  }

  const bare = rows[0]!.measurement;
  const results = rows.map(({ operation, measurement: m }) => ({
    operation: operation.replace(/`/g, ''),
    perSecond: round(m.perSecond, 2),
    p50Ms: round(m.p50Ms),
    p99Ms: round(m.p99Ms),
    vsBareNats: round(m.perSecond / bare.perSecond),
    operations: m.operations,
    errors: m.errors,
    seconds: m.seconds,
  }));
  const table = markdownTable(
    ['Operation', 'per second', 'p50 ms', 'p99 ms', 'vs bare NATS', 'errors'],
    rows.map(({ operation, measurement: m }) => [
      operation,
      formatNumber(m.perSecond),
      formatNumber(m.p50Ms),
      formatNumber(m.p99Ms),
      formatRatio(m.perSecond / bare.perSecond),
      String(m.errors),
    ]),
  );
  const file = await writeResults('usage-reserve', { settings, results });
  console.log(
    `\n### usage-reserve: reservations/s vs. a bare NATS round trip\n\n` +
      `concurrency ${settings.concurrency} (calls in flight from one client connection), ` +
      `${settings.seconds} s each after a ${settings.warmupSeconds} s warm-up, amount 1 of \`executions\` per call, ` +
      `${machine().cpus} CPUs (load average ${machine().loadAverage}), ${process.version}.\n\n` +
      `${table}\n\n(${file})\n`,
  );
}

/** The bare round trip: the no-op responder in a process of its own, with a namespace of its own. */
async function measureEcho(
  nc: NatsConnection,
  measure: (operation: () => Promise<unknown>) => Promise<Measurement>,
): Promise<Measurement> {
  const port = await freePort();
  const subject = `bench.${randomUUID().slice(0, 8)}.echo`;
  const echo = await startChildService({
    name: 'nats-echo',
    entry: `${benchDir}servers/nats-echo.ts`,
    cwd: benchDir,
    port,
    env: { PORT: String(port), NATS_URL: localServices.natsUrl, ECHO_SUBJECT: subject },
    readyPath: '/',
  });
  try {
    const body = JSON.stringify({
      subject: { type: 'team', id: randomUUID() },
      items: [{ metric: 'executions', amount: 1 }],
    });
    console.error('usage-reserve: bare NATS request/reply...');
    return await measure(async () => {
      const reply = (await nc.request(subject, body, { timeout: 10_000 })).json<{ ok: boolean }>();
      if (!reply.ok) throw new Error('echo said no');
    });
  } finally {
    await echo.stop();
  }
}

/** Team subjects on the free plan with a limit no run can reach, made with the owner connection. */
async function createSubjects(sql: postgres.Sql, count: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select identity.ensure_subscription(gen_random_uuid(), 'team', gen_random_uuid(), 'free') as id
    from generate_series(1, ${count})`;
  await sql`update identity.usage_counters set "limit" = 1000000000000 where metric = 'executions'`;
  const subjects = await sql<{ subject_id: string }[]>`
    select subject_id from identity.user_subscriptions where id in ${sql(rows.map((row) => row.id))}`;
  return subjects.map((row) => row.subject_id);
}

// Also runnable on its own: `pnpm --filter @conduit/bench exec tsx usage-reserve.ts`.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { cleanUpAll, cleanUpOnSignals } = await import('./harness/cleanup.js');
  cleanUpOnSignals();
  try {
    await usageReserveScenario();
  } finally {
    await cleanUpAll();
  }
}
