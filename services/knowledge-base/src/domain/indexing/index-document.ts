import { type IndexingDeps, type IndexOutcome, indexDocuments } from './index-documents.js';

export { LEAD_CHARS, leadEnd } from './document-fields.js';
export type { IndexingDeps, IndexOutcome } from './index-documents.js';

/**
 * Indexes one document at one revision: a batch of one (see indexDocuments for the contract).
 * Rethrows an error worth retrying, for the queue to try again.
 */
export async function indexDocument(
  deps: IndexingDeps,
  job: { documentId: string; revision: number; lastAttempt: boolean },
): Promise<IndexOutcome> {
  const [result] = await indexDocuments(deps, [job]);
  if (typeof result === 'object' && 'retry' in result) throw result.retry;
  return result!;
}
