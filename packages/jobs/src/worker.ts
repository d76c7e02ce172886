import { contextFromTraceparent, SpanKind, withSpan } from '@conduit/telemetry';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import type { JobCatalog, JobEnvelope } from './catalog.js';

export type JobHandlers<C extends JobCatalog> = {
  [N in keyof C['jobs']]: (payload: z.output<C['jobs'][N]['payload']>, job: Job) => Promise<unknown>;
};

/** A job that will not be tried again: record it (the service's failed_jobs table) for inspection. */
export interface ExhaustedJob {
  queue: string;
  name: string;
  jobId: string | undefined;
  payload: unknown;
  error: string;
  attempts: number;
}

export interface RunningWorker {
  worker: Worker;
  close(): Promise<void>;
}

/**
 * Runs the handlers of a catalog's jobs. Payloads are parsed on receipt (a malformed one fails at
 * once, without retries); each run continues the trace of whoever enqueued it; a job whose last
 * attempt fails is handed to `onExhausted`.
 */
export function startWorker<C extends JobCatalog>(
  catalog: C,
  handlers: JobHandlers<C>,
  options: {
    connection: Redis;
    prefix: string;
    concurrency?: number;
    /** How long a job's lock lasts without renewal: a crashed worker's job is taken over after this. */
    lockDurationMs?: number;
    /** How often workers look for jobs whose worker died (stalled jobs) and queue them again. */
    stalledIntervalMs?: number;
    /**
     * How often a job may be taken over from a dead worker before it fails (BullMQ's default: once).
     * Worth raising for jobs that resume where the last run left off.
     */
    maxStalledCount?: number;
    onExhausted?(job: ExhaustedJob): Promise<void> | void;
  },
): RunningWorker {
  const worker = new Worker(
    catalog.queue,
    async (job: Job<JobEnvelope>) => {
      const definition = catalog.jobs[job.name];
      const handler = (handlers as Record<string, (payload: unknown, job: Job) => Promise<unknown>>)[
        job.name
      ];
      if (!definition || !handler) throw new UnrecoverableError(`no handler for job "${job.name}"`);
      const parsed = definition.payload.safeParse(job.data?.payload);
      if (!parsed.success)
        throw new UnrecoverableError(
          `invalid payload: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
        );
      return withSpan(
        `job ${catalog.queue}.${job.name}`,
        {
          kind: SpanKind.CONSUMER,
          parent: contextFromTraceparent(job.data?.traceparent),
          attributes: { 'job.id': job.id, 'job.attempt': job.attemptsMade + 1 },
        },
        () => handler(parsed.data, job),
      );
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 4,
      ...(options.lockDurationMs !== undefined ? { lockDuration: options.lockDurationMs } : {}),
      ...(options.stalledIntervalMs !== undefined ? { stalledInterval: options.stalledIntervalMs } : {}),
      ...(options.maxStalledCount !== undefined ? { maxStalledCount: options.maxStalledCount } : {}),
    },
  );
  worker.on('failed', (job, error) => {
    if (!job || !options.onExhausted) return;
    const exhausted =
      error instanceof UnrecoverableError ||
      error.name === 'UnrecoverableError' ||
      job.attemptsMade >= (job.opts.attempts ?? 1);
    if (!exhausted) return;
    void Promise.resolve(
      options.onExhausted({
        queue: catalog.queue,
        name: job.name,
        jobId: job.id,
        payload: (job.data as JobEnvelope | undefined)?.payload ?? null,
        error: error.message,
        attempts: job.attemptsMade,
      }),
    ).catch(() => {});
  });
  // Errors of the connection are reported as events; without a listener they would crash the process.
  worker.on('error', () => {});
  return { worker, close: () => worker.close() };
}
