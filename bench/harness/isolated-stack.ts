import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { deleteBusStreams, deleteRedisKeys, localServices, uniqueName } from '@conduit/testing';
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
  /** Present when the stack was started with `gateway: true`, or once `startGateway` has run. */
  gateway?: ChildService;
  /** The stack's bus namespace (prefix of its NATS subjects), for talking to it over NATS. */
  busNamespace: string;
  /** The owner connection to the stack's database, for set-up the API cannot make. */
  databaseUrl: string;
  /**
   * One more process of the stack's tree (`services/<service>/src/<entry>.ts`) on the stack's
   * settings (`pnpmStartEnv`, the machine's Redis and NATS, the stack's namespace, key prefix and
   * database, identity's URL), listening on `port` (a free one by default, given as `<SERVICE>_PORT` and
   * `<SERVICE>_HOST`); `stop()` stops it before identity.
   */
  startService(options: StackServiceOptions): Promise<ChildService>;
  /**
   * The gateway in front of identity and the services `upstreams` name (e.g. `CONVERSATION_URL`),
   * with its rate limits out of reach.
   */
  startGateway(upstreams?: Record<string, string>): Promise<ChildService>;
  /** Stops the services, drops the database and deletes the stack's NATS streams. */
  stop(): Promise<void>;
}

export interface StackServiceOptions {
  /** The directory under `services/`, e.g. `knowledge-base`. */
  service: string;
  /**
   * Another checkout (installed) to take the service from, on this stack's settings: one
   * service's before / after (BENCH_BASELINE_TREE in the conversation scenario).
   */
  tree?: string;
  /** Its log file's name (`bench/results/logs/<name>.log`); `<namePrefix><service>[-worker]` by default. */
  name?: string;
  /** `server` unless given: the entry point under `src/`. */
  entry?: 'server' | 'worker';
  /** Defaults to a free port. A worker, which has no port of its own, is given its server's. */
  port?: number;
  /** Polled on `port` until it answers 200; `/health/ready` unless given. */
  readyPath?: string;
  env?: Record<string, string>;
}

/**
 * Identity (and optionally the gateway) as real processes, on the machine's Postgres, Redis and
 * NATS but touching nothing of anyone else's: a database `conduit_bench_<random>`, a bus namespace
 * and Redis key prefix of their own, free ports. Limits that would throttle a benchmark (rate
 * limits, login throttle) are raised far out of reach; everything else is the services' defaults.
 * More of the tree's services join the stack with `startService` and `startGateway`.
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
   * a before / after comparison in one run (BENCH_BASELINE_TREE, BENCH_BASELINE_STACK).
   */
  tree?: string;
}): Promise<IsolatedStack> {
  const root = options.tree ?? repoRoot;
  const prefix = options.namePrefix ?? '';
  const name = uniqueName('bench');
  // BENCH_DATABASE names a database kept by an earlier run (BENCH_KEEP_DATABASE=1): used as it is.
  const kept = process.env.BENCH_DATABASE;
  const database = kept ?? `conduit_${name}`;
  const mailDir = join(tmpdir(), `conduit-${name}-mail`);
  const databaseUrl = new URL(localServices.adminDatabaseUrl);
  databaseUrl.pathname = `/${database}`;

  const undo: (() => Promise<void>)[] = [];
  let serving = false;
  if (!kept) {
    const admin = postgres(localServices.adminDatabaseUrl, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`create database "${database}"`);
    } finally {
      await admin.end();
    }
    // BENCH_KEEP_DATABASE=1 leaves the database behind (its name is printed) to study or reuse.
    if (process.env.BENCH_KEEP_DATABASE === '1') console.error(`keeping database ${database}`);
    else undo.push(deferCleanup(() => dropDatabase(database)));
  }
  // Every stream of the namespace (`BENCH_<random>_IDENTITY`, `_CONVERSATION`, ...): whichever
  // services joined the stack created their own.
  undo.push(deferCleanup(() => deleteBusStreams(name)));
  // Every key under the stack's prefix (REDIS_KEY_PREFIX below): the job queues keep a thousand
  // finished jobs each, which outlived the run.
  undo.push(deferCleanup(() => deleteRedisKeys(`${name}:`)));
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

  const shared: Record<string, string> = {
    ...pnpmStartEnv,
    ...(options.logLevel ? { LOG_LEVEL: options.logLevel } : {}),
    REDIS_URL: localServices.redisUrl,
    NATS_URL: localServices.natsUrl,
    BUS_NAMESPACE: name,
    REDIS_KEY_PREFIX: `${name}:`,
    DATABASE_URL: databaseUrl.toString(),
  };
  const launch = async (
    service: StackServiceOptions,
    extraEnv: Record<string, string>,
  ): Promise<ChildService> => {
    const entry = service.entry ?? 'server';
    const serviceRoot = service.tree ?? root;
    const port = service.port ?? (await freePort());
    const variable = service.service.toUpperCase().replace(/-/g, '_');
    const child = await startChildService({
      name: service.name ?? `${prefix}${service.service}${entry === 'server' ? '' : `-${entry}`}`,
      entry: join(serviceRoot, `services/${service.service}/src/${entry}.ts`),
      cwd: join(serviceRoot, `services/${service.service}`),
      port,
      readyPath: service.readyPath ?? '/health/ready',
      env: {
        ...shared,
        ...extraEnv,
        ...(entry === 'server'
          ? { [`${variable}_PORT`]: String(port), [`${variable}_HOST`]: '127.0.0.1' }
          : {}),
        ...service.env,
      },
    });
    undo.push(child.stop);
    return child;
  };

  try {
    const identity = await launch(
      {
        service: 'identity',
        env: {
          IDENTITY_DATABASE_URL: databaseUrl.toString(),
          MAIL_URL: `file://${mailDir}`,
          // Only successful logins are measured; failures are never expected, but must not throttle.
          LOGIN_FAILURES_PER_ACCOUNT_AND_IP: '1000000',
          LOGIN_FAILURES_PER_IP: '1000000',
          LOGIN_FAILURES_PER_ACCOUNT: '1000000',
          ...options.identityEnv,
        },
      },
      {},
    );
    serving = true;
    const serviceEnv = { ...shared, IDENTITY_URL: identity.url };
    const stack: IsolatedStack = {
      identity,
      busNamespace: name,
      databaseUrl: databaseUrl.toString(),
      startService: (service) => launch(service, serviceEnv),
      startGateway: async (upstreams = {}) => {
        stack.gateway = await launch(
          {
            service: 'gateway',
            // Not /health/ready: that also wants every service behind the gateway, and a stack
            // runs only those its scenario needs. Whether it reaches them is the scenario's
            // first call.
            readyPath: '/health/live',
            env: { ...upstreams, RATE_LIMIT_MAX: '1000000000', AUTH_RATE_LIMIT_MAX: '1000000000' },
          },
          serviceEnv,
        );
        return stack.gateway;
      },
      stop,
    };
    if (options.gateway) await stack.startGateway();
    return stack;
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
