import { appendEvent } from '@conduit/bus';
import { knowledgeEvents } from '@conduit/contracts';
import { type ActorContext, type Transaction, uuidv7, withActor, withoutActor } from '@conduit/db';
import { and, eq, sql } from 'drizzle-orm';
import { kbDocumentOriginals, kbDocuments, knowledgeBaseSettings, outbox } from '../../db/schema.js';
import type { KnowledgeDeps } from '../../deps.js';
import { chunkText } from '../chunking/chunk-text.js';
import { embedderFor } from '../embeddings/embedder-for-settings.js';
import { EmbeddingError } from '../embeddings/openai-embedder.js';
import { ExtractionError, extractText } from '../extraction/extract-text.js';
import type { SupportedMediaType } from '../extraction/media-types.js';

export type IndexingDeps = Pick<KnowledgeDeps, 'env' | 'db' | 'box' | 'log'>;

/** `failed` carries the error of a failure no retry can fix. */
export type IndexOutcome = 'indexed' | 'stale' | { failed: string };

const INSERT_BATCH = 200;

/**
 * The lead of a document: its first characters (to the next word boundary), where a title, a
 * summary or a manual page's NAME line says what the document is about. Search ranks it as a
 * field of its own (text-leg.ts) and weighs it more when choosing a passage (weight B in the
 * chunks' text search vectors). Migration 0005 repeats the 300.
 */
export const LEAD_CHARS = 300;

/**
 * The body goes to the document index in pieces of about this many characters: a tsvector holds
 * at most 1 MB of words and 255 positions of each (see migration 0005).
 */
const BODY_PIECE_CHARS = 20_000;

/**
 * How far a cut looks for whitespace before it cuts a word (text without spaces: data, code).
 * Migration 0005 cuts the lead the same way (`\S{0,250}`: 255 is Postgres's largest repeat).
 */
const LONGEST_WORD = 250;

/** Where to cut `text` at or after `at` without splitting a word: its first whitespace there. */
function cutAt(text: string, at: number): number {
  if (text.length <= at) return text.length;
  const whitespace = /\s/g;
  whitespace.lastIndex = at;
  const found = whitespace.exec(text);
  return found && found.index - at <= LONGEST_WORD ? found.index : Math.min(text.length, at + LONGEST_WORD);
}

/** Where the lead ends in `text`: the first whitespace at or after LEAD_CHARS. */
export const leadEnd = (text: string): number => cutAt(text, LEAD_CHARS);

/** The text from `start` on, in pieces of about BODY_PIECE_CHARS cut between words. */
export function bodyPieces(text: string, start: number): string[] {
  const pieces: string[] = [];
  for (let from = start; from < text.length; ) {
    const to = cutAt(text, from + BODY_PIECE_CHARS);
    pieces.push(text.slice(from, to));
    from = to;
  }
  return pieces;
}

/** A failure no retry can fix: the file is corrupt or the embeddings endpoint refuses for good. */
const isPermanent = (error: unknown) =>
  error instanceof ExtractionError || (error instanceof EmbeddingError && !error.retryable);

/** Acts as the owner of the document's collection: the worker has no request actor of its own. */
export async function ownerOfDocument(
  deps: IndexingDeps,
  documentId: string,
): Promise<ActorContext | undefined> {
  const [owner] = await withoutActor(deps.db, (tx) =>
    tx.execute<{ user_id: string; organization_id: string | null; team_id: string | null }>(
      sql`select * from knowledge.document_owner(${documentId})`,
    ),
  );
  return owner
    ? { userId: owner.user_id, orgId: owner.organization_id, teamIds: owner.team_id ? [owner.team_id] : [] }
    : undefined;
}

/**
 * Extracts, chunks, embeds and stores one document at one revision. Idempotent: the chunks of the
 * document are replaced in one transaction, so a job retried after a crash (or run twice) leaves
 * exactly one set. A job for an older revision, or for a deleted document, does nothing.
 * A corrupt file fails the document at once; other errors are recorded on the document and
 * rethrown for the queue to retry, and `lastAttempt` turns them into a failure.
 */
export async function indexDocument(
  deps: IndexingDeps,
  job: { documentId: string; revision: number; lastAttempt: boolean },
): Promise<IndexOutcome> {
  const owner = await ownerOfDocument(deps, job.documentId);
  if (!owner) return 'stale';
  const current = (tx: Transaction) =>
    tx
      .select()
      .from(kbDocuments)
      .where(and(eq(kbDocuments.id, job.documentId), eq(kbDocuments.revision, job.revision)))
      .for('update');

  const started = await withActor(deps.db, owner, async (tx) => {
    const [document] = await current(tx);
    if (!document) return undefined;
    await tx
      .update(kbDocuments)
      .set({ status: 'indexing', attempts: sql`${kbDocuments.attempts} + 1`, updatedAt: new Date() })
      .where(eq(kbDocuments.id, document.id));
    const [original] = await tx
      .select({ content: kbDocumentOriginals.content })
      .from(kbDocumentOriginals)
      .where(eq(kbDocumentOriginals.documentId, document.id));
    const [settings] = await tx
      .select()
      .from(knowledgeBaseSettings)
      .where(eq(knowledgeBaseSettings.collectionId, document.collectionId));
    return { document, original: original!.content, settings: settings! };
  });
  if (!started) return 'stale';
  const { document, original, settings } = started;

  try {
    const text = await extractText(original, document.mediaType as SupportedMediaType);
    const chunks = chunkText(text, { chunkSize: settings.chunkSize, overlap: settings.chunkOverlap });
    const lead = leadEnd(text);
    const embedder = embedderFor(settings, deps.box, deps.env.EMBEDDING_TIMEOUT);
    const vectors = await embedder.embed(
      chunks.map((chunk) => `${document.name}\n${chunk.headingPath.join(' / ')}\n${chunk.content}`),
    );
    return await withActor(deps.db, owner, async (tx) => {
      const [still] = await current(tx);
      if (!still) return 'stale' as const;
      await tx.execute(sql`delete from knowledge.kb_chunks where document_id = ${document.id}`);
      for (let i = 0; i < chunks.length; i += INSERT_BATCH) {
        const rows = chunks.slice(i, i + INSERT_BATCH).map((chunk, j) => {
          const inLead = Math.max(0, Math.min(chunk.content.length, lead - chunk.charStart));
          return {
            id: uuidv7(),
            ordinal: i + j,
            content: chunk.content,
            lead_text: chunk.content.slice(0, inLead),
            body_text: chunk.content.slice(inLead),
            heading_path: chunk.headingPath,
            heading_text: chunk.headingPath.join(' '),
            char_start: chunk.charStart,
            char_end: chunk.charEnd,
            token_count: chunk.tokenCount,
            embedding: vectors[i + j],
          };
        });
        // The document name and headings weigh most (A), then the document's lead (B), then the
        // body (D).
        await tx.execute(sql`
          insert into knowledge.kb_chunks
            (id, collection_id, document_id, ordinal, content, heading_path, char_start, char_end, token_count, tsv, embedding)
          select r.id, ${document.collectionId}, ${document.id}, r.ordinal, r.content, r.heading_path,
                 r.char_start, r.char_end, r.token_count,
                 setweight(to_tsvector(${settings.textSearchLanguage}::regconfig, ${document.name} || ' ' || r.heading_text), 'A')
                   || setweight(to_tsvector(${settings.textSearchLanguage}::regconfig, r.lead_text), 'B')
                   || to_tsvector(${settings.textSearchLanguage}::regconfig, r.body_text),
                 r.embedding
          from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(
            id uuid, ordinal int, content text, lead_text text, body_text text, heading_path text[], heading_text text,
            char_start int, char_end int, token_count int, embedding real[])`);
      }
      // The document-level index that ranks documents (BM25F, see text-leg.ts).
      await tx.execute(sql`
        select knowledge.store_document_terms(${document.id}, ${settings.textSearchLanguage}::regconfig,
                                              ${document.name}, ${text.slice(0, lead)},
                                              array(select jsonb_array_elements_text(${JSON.stringify(bodyPieces(text, lead))}::jsonb)))`);
      await tx
        .update(kbDocuments)
        .set({
          status: 'indexed',
          error: null,
          chunkCount: chunks.length,
          indexedAt: new Date(),
          updatedAt: new Date(),
        })
        .where(eq(kbDocuments.id, document.id));
      await appendEvent(
        tx,
        outbox,
        knowledgeEvents.documentIndexed,
        {
          documentId: document.id,
          collectionId: document.collectionId,
          contentHash: document.contentHash,
          chunkCount: chunks.length,
          revision: document.revision,
        },
        { userId: owner.userId, sessionId: null, orgId: owner.orgId ?? null },
      );
      return 'indexed' as const;
    });
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    const final = job.lastAttempt || isPermanent(error);
    await withActor(deps.db, owner, async (tx) => {
      const [still] = await current(tx);
      if (!still) return;
      await tx
        .update(kbDocuments)
        .set({ status: final ? 'failed' : 'pending', error: message, updatedAt: new Date() })
        .where(eq(kbDocuments.id, document.id));
      if (final)
        await appendEvent(
          tx,
          outbox,
          knowledgeEvents.documentFailed,
          {
            documentId: document.id,
            collectionId: document.collectionId,
            error: message,
            attempts: still.attempts,
          },
          { userId: owner.userId, sessionId: null, orgId: owner.orgId ?? null },
        );
    });
    if (isPermanent(error)) return { failed: message };
    throw error;
  }
}
