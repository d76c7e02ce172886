import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import type { KnowledgeDeps } from '../deps.js';
import { indexDocument } from '../domain/indexing/index-document.js';

/**
 * Indexes one document at one revision. A corrupt file fails at once, without retries, and is
 * kept in failed_jobs like any other job that used up its attempts.
 */
export async function indexDocumentJob(
  deps: KnowledgeDeps,
  payload: { documentId: string; revision: number },
  job: Job,
) {
  const outcome = await indexDocument(deps, {
    ...payload,
    lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
  });
  if (typeof outcome === 'object') throw new UnrecoverableError(outcome.failed);
  return outcome;
}
