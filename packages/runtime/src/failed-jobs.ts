import { type Database, failedJobsTable, uuidv7 } from '@conduit/db';
import type { ExhaustedJob } from '@conduit/jobs';
import type { Logger } from '@conduit/service-kit';
import { pgSchema } from 'drizzle-orm/pg-core';

/**
 * Keeps a job that will not be tried again in the service's `failed_jobs` table (no row-level
 * security: it is the operators' view), for inspection and replay. Never throws: a failure to
 * record is logged beside the failure itself.
 */
export function failedJobRecorder(db: Database, schema: string, log: Logger) {
  const failedJobs = failedJobsTable(pgSchema(schema));
  return async (job: ExhaustedJob): Promise<void> => {
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
  };
}
