import type { z } from 'zod';

/** One kind of job: the shape of its payload and how hard to retry it. */
export interface JobDefinition<P extends z.ZodType = z.ZodType> {
  payload: P;
  attempts: number;
  /** First retry delay; each further retry waits twice as long. */
  backoffMs: number;
}

/** A service's queue and the jobs it carries. Producers are type-checked against it, workers parse on receipt. */
export interface JobCatalog<J extends Record<string, JobDefinition> = Record<string, JobDefinition>> {
  queue: string;
  jobs: J;
}

export type JobPayload<C extends JobCatalog, N extends keyof C['jobs']> = z.input<C['jobs'][N]['payload']>;

export function defineJobs<J extends Record<string, JobDefinition>>(queue: string, jobs: J): JobCatalog<J> {
  return { queue, jobs };
}

/** What a job carries on the wire: its payload (ids, never secrets) and the trace it continues. */
export interface JobEnvelope {
  payload: unknown;
  traceparent?: string | undefined;
}
