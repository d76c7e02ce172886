import type { JobCatalog, JobHandlers, RunningWorker as JobsWorker, Producer } from '@conduit/jobs';
import { startWorker } from '@conduit/jobs';
import type { Logger, ServiceApp } from '@conduit/service-kit';
import { Closers } from './closers.js';
import { openConnections } from './connections.js';
import { startEventConsumers } from './event-consumers.js';
import { failedJobRecorder } from './failed-jobs.js';
import { serveJobsAdmin } from './jobs-admin.js';
import type { ProcessRole, RuntimeEnv, ServiceDefinition } from './service-definition.js';

export interface StartOptions<E, D> {
  env: E;
  log: Logger;
  /** Replaces parts of the built dependencies (tests pass a local token verifier). */
  overrides?: Partial<D>;
}

export interface RunningHttp<D> {
  app: ServiceApp;
  deps: D;
  /** Stops accepting, lets requests in flight finish, then closes everything the process opened. */
  close(): Promise<void>;
}

export interface RunningWorker<D, C extends JobCatalog> {
  deps: D;
  jobs: Producer<C>;
  /** BullMQ's worker, for its events. */
  worker: JobsWorker['worker'];
  /** Lets running jobs finish, then closes everything the process opened. */
  close(): Promise<void>;
}

async function opened<E extends RuntimeEnv, D, C extends JobCatalog>(
  definition: ServiceDefinition<E, D, C>,
  options: StartOptions<E, D>,
  role: ProcessRole,
  closers: Closers,
) {
  const ownClosers = new Closers();
  const open = await openConnections(definition, { ...options, role, closers, ownClosers });
  closers.add('service', () => ownClosers.closeAll(options.log));
  const deps = { ...(await definition.deps(open.connections)), ...options.overrides } as D;
  return { ...open, deps };
}

const closeWith = (closers: Closers, log: Logger) => () => closers.closeAll(log);

/**
 * Starts a service's HTTP side in this process, without listening: connections, dependencies, RPC
 * servers, event consumers and background tasks (when the service has no worker), and the app. `runHttp` listens on it;
 * tests drive it with `app.inject()`. A start that fails half-way closes what it had opened.
 */
export async function startHttp<E extends RuntimeEnv, D, C extends JobCatalog>(
  definition: ServiceDefinition<E, D, C>,
  options: StartOptions<E, D>,
): Promise<RunningHttp<D>> {
  const closers = new Closers();
  try {
    const { connections, readiness, deps } = await opened(definition, options, 'http', closers);
    if (definition.rpc) {
      for (const server of definition.rpc(deps, connections.bus))
        closers.add('rpc server', () => server.stop());
    }
    // Every service with a job queue shows it to the platform admins' job dashboard.
    if (definition.worker && definition.jobs && definition.database) {
      const server = serveJobsAdmin({
        service: definition.name,
        schema: definition.database.schema,
        bus: connections.bus,
        db: connections.database.db,
        jobs: connections.jobs as unknown as Producer<JobCatalog>,
        log: options.log,
      });
      closers.add('jobs admin rpc', () => server.stop());
    }
    if (!definition.worker) await startConsumers(definition, deps, connections, closers);
    const app = await definition.app(deps, readiness);
    closeConnectionsWhenDone(app);
    // Closing the app closes the rest, after its requests in flight have finished (as any fastify
    // plugin's onClose would): tests and the entrypoint alike stop it with app.close().
    app.addHook('onClose', closeWith(closers, options.log));
    await app.ready();
    return { app, deps, close: () => app.close() };
  } catch (error) {
    await closeWith(closers, options.log)();
    throw error;
  }
}

/**
 * Starts a service's worker in this process: connections, dependencies, job schedulers, the
 * BullMQ worker (exhausted jobs go to `failed_jobs`), the event consumers and background tasks.
 */
export async function startWorkerProcess<E extends RuntimeEnv, D, C extends JobCatalog>(
  definition: ServiceDefinition<E, D, C>,
  options: StartOptions<E, D>,
): Promise<RunningWorker<D, C>> {
  const { worker, jobs: catalogOf, database } = definition;
  if (!worker || !catalogOf || !database)
    throw new Error(`${definition.name} declares no worker (it needs jobs, a database and handlers)`);
  const closers = new Closers();
  try {
    const { connections, deps, jobsRedis } = await opened(definition, options, 'worker', closers);
    await worker.schedule?.(connections.jobs, options.env);
    const running = startWorker(catalogOf(options.env), worker.handlers(deps) as JobHandlers<C>, {
      connection: jobsRedis!,
      prefix: `${options.env.REDIS_KEY_PREFIX}bull`,
      ...worker.settings?.(options.env),
      onExhausted: async (job) => {
        await failedJobRecorder(connections.database.db, database.schema, options.log)(job);
        await Promise.resolve(worker.exhausted?.(deps, job)).catch((error: unknown) =>
          options.log.error(
            { err: error, jobId: job.jobId },
            'the service could not settle an exhausted job',
          ),
        );
      },
    });
    closers.add('job worker', () => running.close());
    await running.worker.waitUntilReady();
    await startConsumers(definition, deps, connections, closers);
    return { deps, jobs: connections.jobs, worker: running.worker, close: closeWith(closers, options.log) };
  } catch (error) {
    await closeWith(closers, options.log)();
    throw error;
  }
}

async function startConsumers<E extends RuntimeEnv, D, C extends JobCatalog>(
  definition: ServiceDefinition<E, D, C>,
  deps: D,
  connections: Awaited<ReturnType<typeof openConnections<E, D, C>>>['connections'],
  closers: Closers,
) {
  for (const task of definition.background ?? []) {
    const running = await task.start(deps);
    closers.add(task.name, () => running.stop());
  }
  if (!definition.consumers?.length) return;
  const subscriptions = await startEventConsumers({
    service: definition.name,
    schema: definition.database!.schema,
    consumers: definition.consumers ?? [],
    deps,
    db: connections.database.db,
    bus: connections.bus,
    log: connections.log,
  });
  for (const subscription of subscriptions) closers.add('event consumer', () => subscription.stop());
}

/**
 * Once the app is closing, each answer tells its client to close the connection, so a kept-alive
 * connection ends with the request it was serving instead of holding the close open until its
 * keep-alive timeout (fastify only closes connections that are idle when the close begins).
 */
function closeConnectionsWhenDone(app: ServiceApp) {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
}
