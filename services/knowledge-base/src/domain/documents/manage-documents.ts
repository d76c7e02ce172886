import { createHash } from 'node:crypto';
import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { isUniqueViolation, keysetPage, type PageRequest, type Transaction, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import { kbDocuments } from '../../db/schema.js';
import type { KnowledgeDeps } from '../../deps.js';
import { enqueueIndexing } from '../../jobs/enqueue-indexing.js';
import { loadCollection } from '../collections/collection-access.js';
import { markForReindex } from '../collections/manage-collections.js';
import type { SupportedMediaType } from '../extraction/media-types.js';
import { type DocumentDto, toDocumentDto } from './document-dto.js';

export interface NewDocument {
  name: string;
  mediaType: SupportedMediaType;
  bytes: Buffer;
  metadata?: Record<string, unknown> | undefined;
  source: 'upload' | 'inline';
}

export const contentHashOf = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const documentNotFound = () => new DomainError('not_found', 'No such document.');

/**
 * A new document as it is stored: pending, with its timestamps given here (rather than the
 * database's defaults) so that the answer needs nothing back from the insert.
 */
function newDocumentDto(collectionId: string, input: NewDocument, contentHash: string): DocumentDto {
  const now = new Date().toISOString();
  return {
    id: uuidv7(),
    collectionId,
    datasourceId: uuidv7(),
    name: input.name,
    mediaType: input.mediaType,
    sizeBytes: input.bytes.length,
    contentHash,
    status: 'pending',
    error: null,
    attempts: 0,
    chunkCount: 0,
    metadata: input.metadata ?? {},
    indexedAt: null,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * The document, its data source and its original in one written-out statement: an upload is
 * one of thousands in a bulk load, and three built inserts (one returning the row to map back)
 * cost it more than storing them. The foreign keys between the three are checked at the
 * statement's end, when all three rows are in.
 */
const insertDocument = (document: DocumentDto, input: NewDocument, createdBy: string) => sql`
  with source as (
    insert into knowledge.datasources (id, collection_id, kind, created_by)
    values (${document.datasourceId}, ${document.collectionId}, ${input.source}, ${createdBy})
  ),
  original as (
    insert into knowledge.kb_document_originals (document_id, collection_id, content)
    values (${document.id}, ${document.collectionId}, ${input.bytes})
  )
  insert into knowledge.kb_documents
    (id, collection_id, datasource_id, name, media_type, size_bytes, content_hash, metadata, created_by,
     created_at, updated_at)
  values (${document.id}, ${document.collectionId}, ${document.datasourceId}, ${document.name},
          ${document.mediaType}, ${document.sizeBytes}, ${document.contentHash},
          ${JSON.stringify(document.metadata)}::jsonb, ${createdBy}, ${document.createdAt}, ${document.updatedAt})`;

/**
 * Stores a document (its original bytes too) and queues it for indexing. The same content in the
 * same collection is stored once: adding it again answers the existing document with
 * `created: false`. Throws not_found / forbidden as loadCollection does.
 */
export async function addDocument(
  deps: KnowledgeDeps,
  actor: Actor,
  collectionId: string,
  input: NewDocument,
): Promise<{ document: DocumentDto; created: boolean }> {
  const contentHash = contentHashOf(input.bytes);
  const existing = async (tx: Transaction) => {
    const [row] = await tx
      .select()
      .from(kbDocuments)
      .where(and(eq(kbDocuments.collectionId, collectionId), eq(kbDocuments.contentHash, contentHash)));
    return row;
  };
  try {
    // Statements that do not wait for each other's answers go out together (the connection runs
    // them in order): the collection's check with the look-up of the same content, then the
    // inserts. Bulk uploads come one after another, so each round trip is the uploader's time.
    const result = await asActor(deps.db, actor, async (tx) => {
      const [, found] = await Promise.all([
        loadCollection(tx, actor, collectionId, 'kb.write'),
        existing(tx),
      ]);
      if (found) return { document: toDocumentDto(found), created: false };
      const document = newDocumentDto(collectionId, input, contentHash);
      await tx.execute(insertDocument(document, input, actor.userId));
      return { document, created: true };
    });
    if (result.created) await enqueueIndexing(deps, [{ id: result.document.id, revision: 1 }]);
    return result;
  } catch (error) {
    if (!isUniqueViolation(error, 'kb_documents_collection_hash_key')) throw error;
    // Two uploads of the same content raced; the other one won.
    const found = await asActor(deps.db, actor, existing);
    if (!found) throw error;
    return { document: toDocumentDto(found), created: false };
  }
}

/** A collection's documents, oldest first (uuidv7 ids). Throws not_found, bad_request for a bad cursor. */
export async function listDocuments(
  deps: KnowledgeDeps,
  actor: Actor,
  collectionId: string,
  query: PageRequest & { status?: DocumentDto['status'] | undefined },
) {
  const page = keysetPage({ by: [kbDocuments.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await loadCollection(tx, actor, collectionId, 'kb.read');
    const rows = await tx
      .select({ ...getTableColumns(kbDocuments), pageKey: page.key })
      .from(kbDocuments)
      .where(
        and(
          eq(kbDocuments.collectionId, collectionId),
          query.status ? eq(kbDocuments.status, query.status) : undefined,
          page.after,
        ),
      )
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toDocumentDto);
  });
}

/** A document with its status and chunk count. Throws not_found. */
export async function getDocument(
  deps: KnowledgeDeps,
  actor: Actor,
  collectionId: string,
  documentId: string,
) {
  return asActor(deps.db, actor, async (tx) => {
    await loadCollection(tx, actor, collectionId, 'kb.read');
    const [document] = await tx
      .select()
      .from(kbDocuments)
      .where(and(eq(kbDocuments.collectionId, collectionId), eq(kbDocuments.id, documentId)));
    if (!document) throw documentNotFound();
    return toDocumentDto(document);
  });
}

/** Deletes a document with its chunks and original. Throws not_found. */
export async function deleteDocument(
  deps: KnowledgeDeps,
  actor: Actor,
  collectionId: string,
  documentId: string,
) {
  await asActor(deps.db, actor, async (tx) => {
    await loadCollection(tx, actor, collectionId, 'kb.write');
    const deleted = await tx
      .delete(kbDocuments)
      .where(and(eq(kbDocuments.collectionId, collectionId), eq(kbDocuments.id, documentId)))
      .returning({ id: kbDocuments.id });
    if (deleted.length === 0) throw documentNotFound();
  });
}

/** Queues a document for indexing again from its original (e.g. after a failure). Throws not_found. */
export async function reindexDocument(
  deps: KnowledgeDeps,
  actor: Actor,
  collectionId: string,
  documentId: string,
) {
  const marked = await asActor(deps.db, actor, async (tx) => {
    await loadCollection(tx, actor, collectionId, 'kb.write');
    return markForReindex(tx, collectionId, documentId);
  });
  if (marked.length === 0) throw documentNotFound();
  await enqueueIndexing(deps, marked);
  const [document] = marked;
  return getDocument(deps, actor, collectionId, document!.id);
}
