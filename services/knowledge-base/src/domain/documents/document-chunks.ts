import { rlsContext } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, asc, eq, gt } from 'drizzle-orm';
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
 * A document's chunks in order, a page at a time (the cursor is the last ordinal seen): how the
 * document was cut, to check chunking settings. Throws not_found for a collection the actor cannot
 * read or a document not in it.
 */
export async function listChunks(
  deps: KnowledgeDeps,
  actor: Actor,
  collectionId: string,
  documentId: string,
  page: { limit: number; after?: number | undefined },
): Promise<{ items: ChunkDto[]; nextCursor: string | null }> {
  return withActor(deps.db, rlsContext(actor), async (tx) => {
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
      })
      .from(kbChunks)
      .where(
        and(
          eq(kbChunks.documentId, documentId),
          page.after === undefined ? undefined : gt(kbChunks.ordinal, page.after),
        ),
      )
      .orderBy(asc(kbChunks.ordinal))
      .limit(page.limit + 1);
    const items = rows.slice(0, page.limit);
    return {
      items,
      nextCursor: rows.length > page.limit ? String(items.at(-1)!.ordinal) : null,
    };
  });
}
