import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { kbChunks, kbDocuments } from '../../db/schema.js';
import type { KnowledgeDeps } from '../../deps.js';
import { loadCollection } from '../collections/collection-access.js';

/** A chunk as indexed: what search can show of the document, where it came from in the text. */
export const chunkDto = z.object({
  id: z.uuid(),
  ordinal: z.int(),
  headingPath: z.array(z.string()),
  /** Offsets into the document's extracted text (UTF-16 code units, as JavaScript counts). */
  charStart: z.int(),
  charEnd: z.int(),
  tokenCount: z.int(),
  content: z.string(),
});
export type ChunkDto = z.infer<typeof chunkDto>;

/**
 * A document's chunks in order, a page at a time: how the document was cut, to check chunking
 * settings. Throws not_found for a collection the actor cannot read or a document not in it,
 * bad_request for a cursor this list did not give.
 */
export async function listChunks(
  deps: KnowledgeDeps,
  actor: Actor,
  collectionId: string,
  documentId: string,
  query: PageRequest,
): Promise<{ items: ChunkDto[]; nextCursor: string | null }> {
  const page = keysetPage({ by: [kbChunks.ordinal], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await loadCollection(tx, actor, collectionId, 'kb.read');
    const [document] = await tx
      .select({ id: kbDocuments.id })
      .from(kbDocuments)
      .where(and(eq(kbDocuments.collectionId, collectionId), eq(kbDocuments.id, documentId)));
    if (!document) throw new DomainError('not_found', 'No such document.');
    const rows = await tx
      .select({
        id: kbChunks.id,
        ordinal: kbChunks.ordinal,
        headingPath: kbChunks.headingPath,
        charStart: kbChunks.charStart,
        charEnd: kbChunks.charEnd,
        tokenCount: kbChunks.tokenCount,
        content: kbChunks.content,
        pageKey: page.key,
      })
      .from(kbChunks)
      .where(and(eq(kbChunks.documentId, documentId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, (chunk) => chunk);
  });
}
