import { loadDotEnv } from '@conduit/config';
import { migrate } from '@conduit/db';
import type { JobCatalog } from '@conduit/jobs';
import { createLogger, type Logger } from '@conduit/service-kit';
import { startTelemetry } from '@conduit/telemetry';
import type { ProcessRole, RuntimeEnv, ServiceDefinition } from './service-definition.js';
import { startHttp, startWorkerProcess } from './start-service.js';

/**
 * Applies a service's migrations with the owner connection (never the runtime role), under an
 * advisory lock so that replicas and workers starting together do not race.
 */
export function migrateService(
  definition: { database?: { schema: string; migrationsDir: string } | undefined },
  env: RuntimeEnv,
  log: Logger,
): Promise<string[]> {
  const { database } = definition;
  if (!database) return Promise.resolve([]);
  return migrate({
    adminUrl: env.SERVICE_DATABASE_URL!,
    schema: database.schema,
    migrationsDir: database.migrationsDir,
    appPassword: env.DATABASE_APP_PASSWORD,
    log: (message) => log.info(message),
  });
}

function loggerFor(name: string, env: RuntimeEnv): Logger {
  return createLogger({ service: name, level: env.LOG_LEVEL, pretty: env.LOG_PRETTY });
}

/**
 * Runs one process of a service until SIGTERM or SIGINT: settings (failing loudly), tracing, the
 * logger, migrations, then `start`. A signal, even one during start-up, closes what was started
 * within SHUTDOWN_GRACE; a second signal, or a close that overruns the budget, exits at once.
 */
async function runProcess<
  E extends RuntimeEnv,
  D,
  C extends JobCatalog,
  R extends { close(): Promise<void> },
>(
  definition: ServiceDefinition<E, D, C>,
  role: ProcessRole,
  start: (env: E, log: Logger) => Promise<R>,
): Promise<R> {
  loadDotEnv();
  const env = definition.loadEnv();
  const name = role === 'http' ? definition.name : `${definition.name}-worker`;
  const telemetry = startTelemetry({ serviceName: name, otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT });
  const log = loggerFor(name, env);
  const started = (async () => {
    await migrateService(definition, env, log);
    return start(env, log);
  })();

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal, graceMs: env.SHUTDOWN_GRACE }, 'shutting down');
    setTimeout(() => {
      log.error('graceful shutdown timed out');
      process.exit(1);
    }, env.SHUTDOWN_GRACE).unref();
    started
      .then((running) => running.close())
      .then(() => telemetry.shutdown())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'error while shutting down');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    return await started;
  } catch (error) {
    log.fatal({ err: error }, 'could not start');
    await telemetry.shutdown().catch(() => {});
    process.exit(1);
  }
}

/** A service's HTTP entrypoint (`server.ts`): starts it and listens. */
export async function runHttp<E extends RuntimeEnv, D, C extends JobCatalog>(
  definition: ServiceDefinition<E, D, C>,
): Promise<void> {
  await runProcess(definition, 'http', async (env, log) => {
    const running = await startHttp(definition, { env, log });
    const address = await running.app.listen(definition.listen(env));
    log.info({ address }, `${definition.name} listening`);
    return running;
  });
}

/** A service's worker entrypoint (`worker.ts`): no port; SIGTERM lets running jobs finish. */
export async function runWorker<E extends RuntimeEnv, D, C extends JobCatalog>(
  definition: ServiceDefinition<E, D, C>,
): Promise<void> {
  await runProcess(definition, 'worker', async (env, log) => {
    const running = await startWorkerProcess(definition, { env, log });
    log.info(`${definition.name} worker running`);
    return running;
  });
}

/** A service's `migrate` command: applies its migrations and exits. */
export async function runMigrate<E extends RuntimeEnv, D, C extends JobCatalog>(
  definition: ServiceDefinition<E, D, C>,
): Promise<void> {
  loadDotEnv();
  const env = definition.loadEnv();
  const ran = await migrateService(definition, env, loggerFor(`${definition.name}-migrate`, env));
  console.log(
    ran.length ? `${definition.name}: applied ${ran.join(', ')}` : `${definition.name}: up to date`,
  );
}
