import { fileURLToPath } from 'node:url';
import { connectBus, startEventRelay } from '@conduit/bus';
import { createDatabase, type DatabaseClient, migrate, runtimeUrl } from '@conduit/db';
import { createProducer, redisForJobs } from '@conduit/jobs';
import { parseKeyring, SecretBox } from '@conduit/secrets';
import { dependencyChecks, type Logger, type ServiceApp } from '@conduit/service-kit';
import type { Redis } from 'ioredis';
import { buildApp } from './app.js';
import { serveSearchRpc } from './bus/search-rpc.js';
import type { KnowledgeDeps } from './deps.js';
import { detectPgvector } from './domain/search/vector-leg.js';
import type { KnowledgeEnv } from './env.js';
import { knowledgeJobs } from './jobs/catalog.js';
import { startKnowledgeWorker } from './jobs/knowledge-worker.js';

export const SCHEMA = 'knowledge';
export const migrationsDir = fileURLToPath(new URL('../drizzle', import.meta.url));

/** Applies knowledge-base's migrations with the owner connection (never the runtime role). */
export function migrateKnowledge(env: KnowledgeEnv, log: Logger) {
  return migrate({
    adminUrl: env.KNOWLEDGE_DATABASE_URL,
    schema: SCHEMA,
    migrationsDir,
    appPassword: env.DATABASE_APP_PASSWORD,
    log: (m) => log.info(m),
  });
}

interface Connections {
  database: DatabaseClient;
  redis: Redis;
  deps: KnowledgeDeps;
  catalog: ReturnType<typeof knowledgeJobs>;
  close(): Promise<void>;
}

/** Postgres as the runtime role, the job queue's Redis, and the deps every entrypoint shares. */
async function connect(env: KnowledgeEnv, log: Logger, role: string): Promise<Connections> {
  const database = createDatabase(runtimeUrl(env.KNOWLEDGE_DATABASE_URL, SCHEMA, env.DATABASE_APP_PASSWORD), {
    applicationName: `knowledge-base-${role}`,
  });
  const redis = redisForJobs(env.REDIS_URL);
  const catalog = knowledgeJobs({ attempts: env.INDEX_ATTEMPTS, backoffMs: env.INDEX_BACKOFF });
  const jobs = createProducer(catalog, { connection: redis, prefix: `${env.REDIS_KEY_PREFIX}bull` });
  const deps: KnowledgeDeps = {
    env,
    db: database.db,
    log,
    box: new SecretBox(parseKeyring(env.ENCRYPTION_KEYS)),
    jobs,
    pgvector: await detectPgvector((text) => database.sql.unsafe(text)),
  };
  return {
    database,
    redis,
    deps,
    catalog,
    async close() {
      await jobs.close();
      redis.disconnect();
      await database.close();
    },
  };
}

/**
 * Opens knowledge-base's connections (Postgres as the runtime role, Redis, NATS), serves its
 * search RPC, starts the outbox relay and builds the app. Closing the app closes all of it.
 */
export async function startKnowledgeBase(
  env: KnowledgeEnv,
  log: Logger,
  overrides: Partial<Pick<KnowledgeDeps, 'verifier'>> = {},
): Promise<{ app: ServiceApp; deps: KnowledgeDeps }> {
  const connections = await connect(env, log, 'api');
  const deps: KnowledgeDeps = { ...connections.deps, ...overrides };
  const bus = await connectBus({
    servers: env.NATS_URL,
    name: 'knowledge-base',
    namespace: env.BUS_NAMESPACE,
  });
  await bus.ensureStream(SCHEMA);
  const relay = await startEventRelay({ sql: connections.database.sql, schema: SCHEMA, bus, log });
  const rpc = serveSearchRpc(bus, deps);

  const app = await buildApp(
    deps,
    dependencyChecks({ sql: connections.database.sql, redis: connections.redis, bus }),
  );
  app.addHook('onClose', async () => {
    await rpc.stop();
    await relay.stop();
    await bus.close();
    await connections.close();
  });
  return { app, deps };
}

/**
 * The indexing worker: runs the queue's jobs and relays the events they write. Resolves with a
 * stop function that lets running jobs finish first.
 */
export async function startKnowledgeWorkerProcess(
  env: KnowledgeEnv,
  log: Logger,
): Promise<{ deps: KnowledgeDeps; stop(): Promise<void> }> {
  const connections = await connect(env, log, 'worker');
  const bus = await connectBus({
    servers: env.NATS_URL,
    name: 'knowledge-base-worker',
    namespace: env.BUS_NAMESPACE,
  });
  await bus.ensureStream(SCHEMA);
  const relay = await startEventRelay({ sql: connections.database.sql, schema: SCHEMA, bus, log });
  const workerRedis = redisForJobs(env.REDIS_URL);
  const worker = startKnowledgeWorker(connections.deps, connections.catalog, workerRedis);
  return {
    deps: connections.deps,
    async stop() {
      await worker.close();
      workerRedis.disconnect();
      await relay.stop();
      await bus.close();
      await connections.close();
    },
  };
}
