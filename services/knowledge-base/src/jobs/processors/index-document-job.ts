import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import type { IndexBatcher } from './index-batcher.js';

/**
 * Indexes one document at one revision, in a batch with the other jobs running at once. A
 * corrupt file fails at once, without retries, and is kept in failed_jobs like any other job
 * that used up its attempts; other errors are thrown for the queue to retry.
 */
export async function indexDocumentJob(
  batcher: IndexBatcher,
  payload: { documentId: string; revision: number },
  job: Job,
) {
  const result = await batcher.submit({
    ...payload,
    lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
  });
  if (typeof result === 'object') {
    if ('failed' in result) throw new UnrecoverableError(result.failed);
    throw result.retry;
  }
  return result;
}
