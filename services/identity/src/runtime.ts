import { fileURLToPath } from 'node:url';
import { connectBus, startEventRelay } from '@conduit/bus';
import { createDatabase, migrate, runtimeUrl } from '@conduit/db';
import { parseKeyring, SecretBox } from '@conduit/secrets';
import { dependencyChecks, type Logger, type ServiceApp } from '@conduit/service-kit';
import { Redis } from 'ioredis';
import { buildApp } from './app.js';
import { serveUsageRpc } from './bus/usage-rpc.js';
import type { IdentityDeps } from './deps.js';
import { createMailer } from './domain/mail/mailer.js';
import { LoginThrottle } from './domain/passwords/login-throttle.js';
import { PasswordHasher } from './domain/passwords/password-hasher.js';
import { loadSigningKeys } from './domain/tokens/signing-keys.js';
import type { IdentityEnv } from './env.js';

export const SCHEMA = 'identity';
export const migrationsDir = fileURLToPath(new URL('../drizzle', import.meta.url));

/** Applies identity's migrations with the owner connection (never the runtime role). */
export function migrateIdentity(env: IdentityEnv, log: Logger) {
  return migrate({
    adminUrl: env.IDENTITY_DATABASE_URL,
    schema: SCHEMA,
    migrationsDir,
    appPassword: env.DATABASE_APP_PASSWORD,
    log: (m) => log.info(m),
  });
}

/**
 * Opens identity's connections (Postgres as the runtime role, Redis, NATS), loads its signing
 * key, starts the outbox relay and builds the app. Closing the app closes all of it.
 */
export async function startIdentity(
  env: IdentityEnv,
  log: Logger,
): Promise<{ app: ServiceApp; deps: IdentityDeps }> {
  const database = createDatabase(runtimeUrl(env.IDENTITY_DATABASE_URL, SCHEMA, env.DATABASE_APP_PASSWORD), {
    applicationName: 'identity',
  });
  const redis = new Redis(env.REDIS_URL, {
    keyPrefix: `${env.REDIS_KEY_PREFIX}identity:`,
    maxRetriesPerRequest: 2,
    lazyConnect: true,
  });
  await redis.connect();
  const bus = await connectBus({ servers: env.NATS_URL, name: 'identity', namespace: env.BUS_NAMESPACE });
  await bus.ensureStream(SCHEMA);

  const deps: IdentityDeps = {
    env,
    db: database.db,
    redis,
    log,
    keys: await loadSigningKeys(
      database.db,
      new SecretBox(parseKeyring(env.ENCRYPTION_KEYS)),
      env.SIGNING_KEY_ROTATE_AFTER,
    ),
    hasher: new PasswordHasher({
      memoryKib: env.ARGON2_MEMORY_KIB,
      iterations: env.ARGON2_ITERATIONS,
      parallelism: env.ARGON2_PARALLELISM,
      concurrency: env.HASH_CONCURRENCY,
      queueLimit: env.HASH_QUEUE_LIMIT,
    }),
    throttle: new LoginThrottle(redis, {
      perAccountAndIp: env.LOGIN_FAILURES_PER_ACCOUNT_AND_IP,
      perIp: env.LOGIN_FAILURES_PER_IP,
      perAccount: env.LOGIN_FAILURES_PER_ACCOUNT,
      windowMs: env.LOGIN_FAILURE_WINDOW,
    }),
    mailer: createMailer(env.MAIL_URL, env.MAIL_FROM),
  };

  const relay = await startEventRelay({ sql: database.sql, schema: SCHEMA, bus, log });

  const app = await buildApp(deps, dependencyChecks({ sql: database.sql, redis: redis, bus }));
  // Other services reserve usage over NATS (queue group `identity`: one replica answers each call).
  const usageRpc = serveUsageRpc(bus, database.db, log);
  app.addHook('onClose', async () => {
    await usageRpc.stop();
    await relay.stop();
    await bus.close();
    deps.mailer.close();
    redis.disconnect();
    await database.close();
  });
  return { app, deps };
}
