import type { KnowledgeDeps } from '../deps.js';
import { indexJobId } from './catalog.js';

/**
 * Queues indexing jobs, after the transaction that made the documents pending has committed. The
 * job id names the revision, so queueing the same revision twice runs it once.
 */
export async function enqueueIndexing(deps: KnowledgeDeps, documents: { id: string; revision: number }[]) {
  for (const document of documents)
    await deps.jobs.add(
      'index-document',
      { documentId: document.id, revision: document.revision },
      { jobId: indexJobId(document.id, document.revision) },
    );
}
