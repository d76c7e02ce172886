import type { Bus, RpcServer } from '@conduit/bus';
import type { ServiceEnv } from '@conduit/config';
import type { EventData, EventDefinition, EventEnvelope } from '@conduit/contracts';
import type { DatabaseClient, Transaction } from '@conduit/db';
import type { ExhaustedJob, JobCatalog, JobHandlers, Producer } from '@conduit/jobs';
import type { Logger, ReadinessChecks, ServiceApp } from '@conduit/service-kit';
import type { Redis } from 'ioredis';

/** Which of a service's processes is running: the HTTP side or the job worker. */
export type ProcessRole = 'http' | 'worker';

/** The environment the runtime itself reads, with the owned database's URL when there is one. */
export type RuntimeEnv = ServiceEnv & { SERVICE_DATABASE_URL?: string };

/**
 * The connections a process opened for its service, handed to `deps`. What the definition did not
 * ask for is absent: the gateway has no database and no bus.
 */
export interface ServiceConnections<E extends RuntimeEnv, C extends JobCatalog> {
  env: E;
  log: Logger;
  role: ProcessRole;
  /** Postgres as the service's runtime role (never the owner). */
  database: DatabaseClient;
  bus: Bus;
  /** Redis with the service's own key prefix, for its own keys (not BullMQ's). */
  redis: Redis;
  /** Enqueues the service's jobs (from either process). */
  jobs: Producer<C>;
  /** Runs `close` when the process stops, after the app and workers and before the connections. */
  onClose(name: string, close: () => Promise<unknown> | unknown): void;
}

/** An event the service applies once each, however often JetStream delivers it. */
export interface EventConsumer<D, E extends EventDefinition = EventDefinition> {
  event: E;
  /** Durable consumer name, unique in the service; the runtime prefixes the service's name. */
  name: string;
  /**
   * The effect, in the transaction that also records the event as applied (`processed_events`):
   * both commit or neither does, so a redelivery does nothing twice. The transaction has no actor.
   */
  apply(deps: D, tx: Transaction, envelope: EventEnvelope<EventData<E>>): Promise<void>;
  maxDeliver?: number;
}

/**
 * A long-running loop of the service's own that is neither a job nor a one-event consumer (e.g. a
 * consumer of whole streams in batches). It runs where the event consumers run and is stopped
 * before the connections close.
 */
export interface BackgroundTask<D> {
  name: string;
  start(deps: D): Promise<{ stop(): Promise<void> }>;
}

export interface WorkerDefinition<E extends RuntimeEnv, D, C extends JobCatalog> {
  handlers(deps: D): JobHandlers<C>;
  /** Registers the job schedulers (cron and intervals) when a worker starts; idempotent. */
  schedule?(jobs: Producer<C>, env: E): Promise<void>;
  settings?(env: E): {
    concurrency?: number;
    lockDurationMs?: number;
    stalledIntervalMs?: number;
    /** Take-overs of a job from a dead worker before it fails (see startWorker). */
    maxStalledCount?: number;
  };
  /** After a job failed for good (and was recorded in failed_jobs): settle what it was doing. */
  exhausted?(deps: D, job: ExhaustedJob): Promise<void>;
}

/**
 * Everything the runtime needs to run a service: what it connects to, how its dependencies and app
 * are built, and what runs in each process. A service declares it once (`src/service.ts`); its
 * `server.ts`, `worker.ts` and `migrate.ts` only name it, and tests start it the same way.
 */
export interface ServiceDefinition<
  E extends RuntimeEnv = RuntimeEnv,
  D = unknown,
  C extends JobCatalog = JobCatalog,
> {
  /** Process and log name: `<name>` for HTTP, `<name>-worker` for the worker. */
  name: string;
  loadEnv(source?: NodeJS.ProcessEnv): E;
  /** The Postgres schema the service owns (also its bus stream); absent: no database, no bus. */
  database?: {
    schema: string;
    migrationsDir: string;
    /** Connections in each process's pool (default: 10 for HTTP, 4 for the worker), or per process. */
    poolSize?: number | ((env: E, role: ProcessRole) => number);
  };
  /** Redis for the service's own keys; `keyPrefix` follows REDIS_KEY_PREFIX (default `<name>:`). */
  redis?: { keyPrefix?: string; failFast?: boolean };
  listen(env: E): { port: number; host: string };
  /** The service's job queue; its producer is in `ServiceConnections.jobs`. */
  jobs?: (env: E) => C;
  deps(connections: ServiceConnections<E, C>): D | Promise<D>;
  app(deps: D, readiness: ReadinessChecks): Promise<ServiceApp>;
  /** RPC servers, run by the HTTP process (queue groups spread calls over replicas). */
  rpc?: (deps: D, bus: Bus) => RpcServer[];
  /** Event consumers: run by the worker process when there is one, else by the HTTP process. */
  consumers?: EventConsumer<D, EventDefinition>[];
  /** Background tasks: run by the worker process when there is one, else by the HTTP process. */
  background?: BackgroundTask<D>[];
  worker?: WorkerDefinition<E, D, C>;
}

/** Declares a service; typing only (the definition is plain data and functions). */
export function defineService<E extends RuntimeEnv, D, C extends JobCatalog = JobCatalog>(
  definition: ServiceDefinition<E, D, C>,
): ServiceDefinition<E, D, C> {
  return definition;
}

/** Declares an event consumer with the event's payload type checked against `apply`. */
export function consumeEvent<D, E extends EventDefinition>(consumer: EventConsumer<D, E>): EventConsumer<D> {
  return consumer as unknown as EventConsumer<D>;
}
