import { z } from 'zod';
import { defineRpc } from './rpc.js';

/** A job that failed for good, as a service's `failed_jobs` keeps it (payloads carry ids, never secrets). */
export const failedJobSchema = z.object({
  id: z.uuid(),
  queue: z.string(),
  jobName: z.string(),
  jobId: z.string().nullable(),
  payload: z.unknown(),
  error: z.string(),
  attempts: z.int(),
  failedAt: z.string(),
});

export const queueCountsSchema = z.object({
  waiting: z.int(),
  active: z.int(),
  delayed: z.int(),
  failed: z.int(),
  completed: z.int(),
  prioritized: z.int(),
});

/**
 * `rpc.<service>.jobs.admin`, answered by the runtime of every service with a job queue, for the
 * platform admins' job dashboard: its queue's counts and its latest failed jobs (`list`), a failed
 * job queued again under a new id (`retry`) or dropped (`discard`). Errors: not_found for a failed
 * job it does not keep.
 */
export const jobsAdminRpc = (service: string) =>
  defineRpc(
    `rpc.${service}.jobs.admin`,
    z.discriminatedUnion('op', [
      z.object({ op: z.literal('list'), limit: z.int().min(1).max(200).default(50) }),
      z.object({ op: z.literal('retry'), failedJobId: z.uuid() }),
      z.object({ op: z.literal('discard'), failedJobId: z.uuid() }),
    ]),
    z.object({
      queue: z.string(),
      counts: queueCountsSchema,
      failed: z.array(failedJobSchema),
      /** For retry: the id of the job queued again. */
      jobId: z.string().optional(),
    }),
  );
