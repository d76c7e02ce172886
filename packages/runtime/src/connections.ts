import { type Bus, connectBus, startEventRelay } from '@conduit/bus';
import { createDatabase, type DatabaseClient, runtimeUrl } from '@conduit/db';
import { createProducer, type JobCatalog, type Producer, redisForJobs } from '@conduit/jobs';
import { dependencyChecks, type Logger, type ReadinessChecks } from '@conduit/service-kit';
import { Redis } from 'ioredis';
import type { Closers } from './closers.js';
import type { ProcessRole, RuntimeEnv, ServiceConnections, ServiceDefinition } from './service-definition.js';

export interface OpenConnections<E extends RuntimeEnv, C extends JobCatalog> {
  connections: ServiceConnections<E, C>;
  readiness: ReadinessChecks;
  /** The Redis connection BullMQ shares (commands wait through reconnects). */
  jobsRedis: Redis | undefined;
  /** Registered by `onClose`: run after the app and workers, before the connections close. */
  ownClosers: Closers;
}

/**
 * Opens what a service's definition asks for, in the same order in every process: Postgres as the
 * runtime role, Redis, NATS with the service's stream, the outbox relay, and the job producer.
 * Each is added to `closers` as soon as it exists.
 */
export async function openConnections<E extends RuntimeEnv, D, C extends JobCatalog>(
  definition: ServiceDefinition<E, D, C>,
  options: { env: E; log: Logger; role: ProcessRole; closers: Closers; ownClosers: Closers },
): Promise<OpenConnections<E, C>> {
  const { env, log, role, closers } = options;
  const processName = role === 'http' ? definition.name : `${definition.name}-worker`;

  let database: DatabaseClient | undefined;
  let bus: Bus | undefined;
  if (definition.database) {
    const { schema, poolSize } = definition.database;
    if (!env.SERVICE_DATABASE_URL) throw new Error(`${definition.name}: SERVICE_DATABASE_URL is not set`);
    database = createDatabase(runtimeUrl(env.SERVICE_DATABASE_URL, schema, env.DATABASE_APP_PASSWORD), {
      applicationName: processName,
      max: (typeof poolSize === 'function' ? poolSize(env, role) : poolSize) ?? (role === 'http' ? 10 : 4),
    });
    closers.add('postgres', () => database?.close());
    bus = await connectBus({ servers: env.NATS_URL, name: processName, namespace: env.BUS_NAMESPACE });
    closers.add('nats', () => bus?.close());
    await bus.ensureStream(schema);
    // Both processes write outbox rows (a request, a job), and both relay: each relays its own rows
    // at once (woken by its own NOTIFY), and each one's poll takes over rows a dead process left.
    const relay = await startEventRelay({ sql: database.sql, schema, bus, log });
    closers.add('outbox relay', async () => {
      await relay.flush();
      await relay.stop();
    });
  }

  let redis: Redis | undefined;
  if (definition.redis) {
    const failFast = definition.redis.failFast ?? false;
    redis = new Redis(env.REDIS_URL, {
      keyPrefix: `${env.REDIS_KEY_PREFIX}${definition.redis.keyPrefix ?? `${definition.name}:`}`,
      maxRetriesPerRequest: failFast ? 1 : 2,
      enableOfflineQueue: !failFast,
      lazyConnect: true,
    });
    closers.add('redis', () => redis?.disconnect());
    if (failFast) {
      // Requests go on without Redis (e.g. rate limits are skipped) instead of waiting for it.
      let lastWarning = 0;
      redis.on('error', (error) => {
        if (Date.now() - lastWarning < 10_000) return;
        lastWarning = Date.now();
        log.warn({ err: error }, 'redis unavailable');
      });
      redis.connect().catch(() => {});
    } else {
      await redis.connect();
    }
  }

  let jobsRedis: Redis | undefined;
  let jobs: Producer<C> | undefined;
  if (definition.jobs) {
    const catalog = definition.jobs(env);
    const connection = redisForJobs(env.REDIS_URL);
    jobsRedis = connection;
    closers.add('jobs redis', () => connection.quit().catch(() => connection.disconnect()));
    jobs = createProducer(catalog, { connection, prefix: `${env.REDIS_KEY_PREFIX}bull` });
    closers.add('job producer', () => jobs?.close());
  }

  const absent = (what: string): never => {
    throw new Error(`${definition.name} declares no ${what} in its service definition`);
  };
  const connections: ServiceConnections<E, C> = {
    env,
    log,
    role,
    get database() {
      return database ?? absent('database');
    },
    get bus() {
      return bus ?? absent('database (and so no bus)');
    },
    get redis() {
      return redis ?? absent('redis');
    },
    get jobs() {
      return jobs ?? absent('jobs');
    },
    onClose: (name, close) => options.ownClosers.add(name, close),
  };
  const readiness = dependencyChecks({ sql: database?.sql, redis: redis ?? jobsRedis, bus });
  return { connections, readiness, jobsRedis, ownClosers: options.ownClosers };
}
