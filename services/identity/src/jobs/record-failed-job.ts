import { type Database, uuidv7 } from '@conduit/db';
import type { ExhaustedJob } from '@conduit/jobs';
import type { Logger } from '@conduit/service-kit';
import { failedJobs } from '../db/schema.js';

/** Keeps a job that will not be tried again in `identity.failed_jobs` (no RLS), for inspection. */
export async function recordFailedJob(db: Database, log: Logger, job: ExhaustedJob): Promise<void> {
  log.error(
    { queue: job.queue, job: job.name, jobId: job.jobId, attempts: job.attempts, error: job.error },
    'job failed for good',
  );
  try {
    await db.insert(failedJobs).values({
      id: uuidv7(),
      queue: job.queue,
      jobName: job.name,
      jobId: job.jobId ?? null,
      payload: job.payload ?? {},
      error: job.error.slice(0, 4000),
      attempts: job.attempts,
    });
  } catch (error) {
    log.error({ err: error, jobId: job.jobId }, 'could not record a failed job');
  }
}
