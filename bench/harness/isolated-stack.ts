import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { localServices, uniqueName } from '@conduit/testing';
import { connect } from 'nats';
import postgres from 'postgres';
import { type ChildService, freePort, startChildService } from './child-service.js';
import { deferCleanup } from './cleanup.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * What `pnpm start` (scripts/start.ts) gives every service beyond the defaults: JSON lines on a
 * pipe (it pretty-prints them in its own process) at the default level, info. Benchmarks run with
 * this, so their figures are what the README's command gives; no OTLP endpoint, as in .env.example.
 */
export const pnpmStartEnv = {
  NODE_ENV: 'development',
  LOG_LEVEL: 'info',
  LOG_PRETTY: 'false',
  FORCE_COLOR: '1',
  OTEL_EXPORTER_OTLP_ENDPOINT: '',
};

export interface IsolatedStack {
  identity: ChildService;
  /** Present when the stack was started with `gateway: true`. */
  gateway?: ChildService;
  /** The stack's bus namespace (prefix of its NATS subjects), for talking to it over NATS. */
  busNamespace: string;
  /** The owner connection to the stack's database, for set-up the API cannot make. */
  databaseUrl: string;
  /** Stops the services, drops the database and deletes the NATS stream. */
  stop(): Promise<void>;
}

/**
 * Identity (and optionally the gateway) as real processes, on the machine's Postgres, Redis and
 * NATS but touching nothing of anyone else's: a database `conduit_bench_<random>`, a bus namespace
 * and Redis key prefix of their own, free ports. Limits that would throttle a benchmark (rate
 * limits, login throttle) are raised far out of reach; everything else is the services' defaults.
 */
export async function startIsolatedStack(options: {
  gateway: boolean;
  /** Extra settings for identity (e.g. the argon2 parameters the scenario compares against). */
  identityEnv?: Record<string, string>;
  /**
   * LOG_LEVEL of the services; unset, they log as under `pnpm start` (info, JSON lines). The
   * gateway scenario runs a second stack at `warn` to show what logging costs.
   */
  logLevel?: 'info' | 'warn';
  /** Prefix of the processes' log files (`bench/results/logs/<prefix>identity.log`). */
  namePrefix?: string;
  /**
   * Another checkout of the repository (installed) whose services to run instead of this one's:
   * a before / after comparison in one run (BENCH_BASELINE_TREE).
   */
  tree?: string;
}): Promise<IsolatedStack> {
  const root = options.tree ?? repoRoot;
  const name = uniqueName('bench');
  const database = `conduit_${name}`;
  const stream = `${name.toUpperCase()}_IDENTITY`;
  const mailDir = join(tmpdir(), `conduit-${name}-mail`);
  const databaseUrl = new URL(localServices.adminDatabaseUrl);
  databaseUrl.pathname = `/${database}`;

  const undo: (() => Promise<void>)[] = [];
  let serving = false;
  const admin = postgres(localServices.adminDatabaseUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${database}"`);
  } finally {
    await admin.end();
  }
  undo.push(deferCleanup(() => dropDatabase(database)));
  undo.push(deferCleanup(() => deleteStream(stream)));
  undo.push(deferCleanup(() => rm(mailDir, { recursive: true, force: true })));
  const stop = async () => {
    // The load generator abandons the requests in flight when its time is up; let them finish, or
    // the shutdown cuts them and the services log errors that say nothing about the benchmark.
    if (serving) await sleep(1_500);
    for (const step of undo.reverse())
      await step().catch((error: unknown) => console.error('cleanup failed:', error));
    undo.length = 0;
    serving = false;
  };

  try {
    const shared = {
      ...pnpmStartEnv,
      ...(options.logLevel ? { LOG_LEVEL: options.logLevel } : {}),
      REDIS_URL: localServices.redisUrl,
      NATS_URL: localServices.natsUrl,
      BUS_NAMESPACE: name,
      REDIS_KEY_PREFIX: `${name}:`,
    };
    const identityPort = await freePort();
    const identity = await startChildService({
      name: `${options.namePrefix ?? ''}identity`,
      entry: join(root, 'services/identity/src/server.ts'),
      cwd: join(root, 'services/identity'),
      port: identityPort,
      readyPath: '/health/ready',
      env: {
        ...shared,
        DATABASE_URL: databaseUrl.toString(),
        IDENTITY_DATABASE_URL: databaseUrl.toString(),
        IDENTITY_PORT: String(identityPort),
        IDENTITY_HOST: '127.0.0.1',
        MAIL_URL: `file://${mailDir}`,
        // Only successful logins are measured; failures are never expected, but must not throttle.
        LOGIN_FAILURES_PER_ACCOUNT_AND_IP: '1000000',
        LOGIN_FAILURES_PER_IP: '1000000',
        LOGIN_FAILURES_PER_ACCOUNT: '1000000',
        ...options.identityEnv,
      },
    });
    undo.push(identity.stop);
    serving = true;
    const reach = { busNamespace: name, databaseUrl: databaseUrl.toString() };
    if (!options.gateway) return { identity, ...reach, stop };

    const gatewayPort = await freePort();
    const gateway = await startChildService({
      name: `${options.namePrefix ?? ''}gateway`,
      entry: join(root, 'services/gateway/src/server.ts'),
      cwd: join(root, 'services/gateway'),
      port: gatewayPort,
      // Not /health/ready: that also wants every other service behind the gateway, which this
      // stack does not run. Whether it reaches identity is checked by the scenario's first call.
      readyPath: '/health/live',
      env: {
        ...shared,
        GATEWAY_PORT: String(gatewayPort),
        GATEWAY_HOST: '127.0.0.1',
        IDENTITY_URL: identity.url,
        RATE_LIMIT_MAX: '1000000000',
        AUTH_RATE_LIMIT_MAX: '1000000000',
      },
    });
    undo.push(gateway.stop);
    return { identity, gateway, ...reach, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function dropDatabase(database: string): Promise<void> {
  const sql = postgres(localServices.adminDatabaseUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop database if exists "${database}" with (force)`);
  } finally {
    await sql.end();
  }
}

async function deleteStream(stream: string): Promise<void> {
  const nc = await connect({ servers: localServices.natsUrl, name: 'conduit-bench-cleanup' });
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(stream).catch((error: unknown) => {
      if (!/not found/i.test((error as Error).message)) throw error;
    });
  } finally {
    await nc.close();
  }
}
