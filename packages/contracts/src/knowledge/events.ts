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

/**
 * A search ran over at least one knowledge base (HTTP or a bot's RPC). Ids and counts only: the
 * question is the searcher's text and stays in the knowledge base's answer.
 */
export const searchPerformed = defineEvent(
  'knowledge.search.performed',
  1,
  z.object({
    /** The one collection searched; null when the search spanned several. */
    collectionId: z.uuid().nullable(),
    collectionCount: z.int().min(1),
    /** The chat session whose knowledge bases were searched, if it was one. */
    sessionId: z.uuid().nullable(),
    scope: z.enum(['collections', 'session', 'readable']),
    hits: z.int().min(0),
  }),
);
