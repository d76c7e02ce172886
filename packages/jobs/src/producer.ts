import { currentTraceparent } from '@conduit/telemetry';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobCatalog, JobEnvelope, JobPayload } from './catalog.js';

export interface Producer<C extends JobCatalog> {
  /** Enqueues a job; a `jobId` makes enqueueing idempotent (the same id is queued once). */
  add<N extends keyof C['jobs'] & string>(
    name: N,
    payload: JobPayload<C, N>,
    options?: { jobId?: string; delayMs?: number },
  ): Promise<string>;
  /** Creates or updates a recurring job (BullMQ job scheduler), by cron pattern or interval. */
  schedule<N extends keyof C['jobs'] & string>(
    schedulerId: string,
    name: N,
    payload: JobPayload<C, N>,
    repeat: { pattern: string; tz?: string } | { everyMs: number },
  ): Promise<void>;
  unschedule(schedulerId: string): Promise<void>;
  queue: Queue;
  close(): Promise<void>;
}

export function createProducer<C extends JobCatalog>(
  catalog: C,
  options: { connection: Redis; prefix: string },
): Producer<C> {
  const queue = new Queue(catalog.queue, { connection: options.connection, prefix: options.prefix });
  const settings = (name: string) => {
    const job = catalog.jobs[name];
    if (!job) throw new Error(`job "${name}" is not in the ${catalog.queue} catalog`);
    return {
      attempts: job.attempts,
      backoff: { type: 'exponential' as const, delay: job.backoffMs },
      removeOnComplete: { age: 24 * 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    };
  };
  const envelope = (name: string, payload: unknown): JobEnvelope => ({
    payload: catalog.jobs[name]!.payload.parse(payload),
    traceparent: currentTraceparent(),
  });
  return {
    queue,
    async add(name, payload, opts = {}) {
      const job = await queue.add(name, envelope(name, payload), {
        ...settings(name),
        jobId: opts.jobId,
        delay: opts.delayMs,
      });
      return job.id!;
    },
    async schedule(schedulerId, name, payload, repeat) {
      const repeatOptions =
        'pattern' in repeat ? { pattern: repeat.pattern, tz: repeat.tz } : { every: repeat.everyMs };
      await queue.upsertJobScheduler(schedulerId, repeatOptions, {
        name,
        data: envelope(name, payload),
        opts: settings(name),
      });
    },
    async unschedule(schedulerId) {
      await queue.removeJobScheduler(schedulerId);
    },
    close: () => queue.close(),
  };
}
