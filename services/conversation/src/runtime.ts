import { fileURLToPath } from 'node:url';
import { connectBus, startEventRelay } from '@conduit/bus';
import { createDatabase, migrate, runtimeUrl } from '@conduit/db';
import { parseKeyring, SecretBox } from '@conduit/secrets';
import { dependencyChecks, type Logger, type ServiceApp } from '@conduit/service-kit';
import { Redis } from 'ioredis';
import { buildApp } from './app.js';
import type { ConversationDeps } from './deps.js';
import { InFlight } from './domain/messages/in-flight.js';
import type { ConversationEnv } from './env.js';

export const SCHEMA = 'conversation';
export const migrationsDir = fileURLToPath(new URL('../drizzle', import.meta.url));

/** Applies conversation's migrations with the owner connection (never the runtime role). */
export function migrateConversation(env: ConversationEnv, log: Logger) {
  return migrate({
    adminUrl: env.CONVERSATION_DATABASE_URL,
    schema: SCHEMA,
    migrationsDir,
    appPassword: env.DATABASE_APP_PASSWORD,
    log: (m) => log.info(m),
  });
}

/**
 * Opens conversation's connections (Postgres as the runtime role, Redis, NATS), starts the outbox
 * relay and builds the app. Closing the app lets replies in flight finish, then closes all of it.
 */
export async function startConversation(
  env: ConversationEnv,
  log: Logger,
  overrides: Partial<Pick<ConversationDeps, 'verifier'>> = {},
): Promise<{ app: ServiceApp; deps: ConversationDeps }> {
  const database = createDatabase(
    runtimeUrl(env.CONVERSATION_DATABASE_URL, SCHEMA, env.DATABASE_APP_PASSWORD),
    { applicationName: 'conversation' },
  );
  const redis = new Redis(env.REDIS_URL, {
    keyPrefix: `${env.REDIS_KEY_PREFIX}conversation:`,
    maxRetriesPerRequest: 2,
    lazyConnect: true,
  });
  await redis.connect();
  const bus = await connectBus({ servers: env.NATS_URL, name: 'conversation', namespace: env.BUS_NAMESPACE });
  await bus.ensureStream(SCHEMA);

  const deps: ConversationDeps = {
    env,
    db: database.db,
    redis,
    bus,
    box: new SecretBox(parseKeyring(env.ENCRYPTION_KEYS)),
    log,
    inFlight: new InFlight(),
    ...overrides,
  };

  const relay = await startEventRelay({ sql: database.sql, schema: SCHEMA, bus, log });

  const app = await buildApp(deps, dependencyChecks({ sql: database.sql, redis: redis, bus }));
  app.addHook('onClose', async () => {
    await deps.inFlight.drain();
    await relay.flush();
    await relay.stop();
    await bus.close();
    redis.disconnect();
    await database.close();
  });
  return { app, deps };
}
