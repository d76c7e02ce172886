import { z } from 'zod';
import { defineEvent } from '../event.js';

/** A document's text was chunked, embedded and stored; it is searchable now. */
export const documentIndexed = defineEvent(
  'knowledge.document.indexed',
  1,
  z.object({
    documentId: z.uuid(),
    collectionId: z.uuid(),
    contentHash: z.string(),
    chunkCount: z.int().min(0),
    revision: z.int().min(1),
  }),
);

/** Indexing a document failed for good (corrupt or unsupported file, or retries exhausted). */
export const documentFailed = defineEvent(
  'knowledge.document.failed',
  1,
  z.object({
    documentId: z.uuid(),
    collectionId: z.uuid(),
    error: z.string(),
    attempts: z.int().min(0),
  }),
);
