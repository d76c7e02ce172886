import { appendEvents } from '@conduit/bus';
import { knowledgeEvents } from '@conduit/contracts';
import { type ActorContext, inRuns, type Transaction, uuidv7 } from '@conduit/db';
import { sql } from 'drizzle-orm';
import { outbox } from '../../db/schema.js';
import { uuidArray } from '../../db/uuid-array.js';
import { normalise } from '../embeddings/embedder.js';
import { bodyPieces } from './document-fields.js';
import type { PreparedDocument } from './prepare-documents.js';

/**
 * Rows go to Postgres as one JSON parameter per statement, up to about this many characters: large
 * enough that a statement carries hundreds of chunks (one round trip instead of hundreds), small
 * enough that a statement's parameter stays a few megabytes.
 */
const STATEMENT_CHARS = 4 * 1024 * 1024;

/**
 * An embedding as a Postgres `real[]` literal. Each value is rounded to single precision first and
 * written with 9 significant digits, which Postgres reads back as exactly that `real`: what the
 * column stored when the values went as JSON numbers, in less than half the text, and parsed as
 * floats rather than as JSON numerics.
 */
export const realArrayLiteral = (vector: number[]): string =>
  `{${vector.map((x) => (x === 0 ? '0' : Math.fround(x).toPrecision(9))).join(',')}}`;

/**
 * A document's own embedding, which the vector leg's questions without candidates are compared
 * with (migration 0017): the direction of its chunks' sum, as migration 0017 computed it for the
 * documents it found. Each value is first taken at the single precision its chunk is stored at.
 */
export function documentEmbedding(vectors: number[][]): number[] {
  const sum = new Array<number>(vectors[0]?.length ?? 0).fill(0);
  for (const vector of vectors) for (const [i, x] of vector.entries()) sum[i]! += Math.fround(x);
  return normalise(sum);
}

/** How many characters Postgres counts in `text`: code points, a surrogate pair being one. */
const codePoints = (text: string): number =>
  text.length - (text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);

/**
 * Stores the chunks, terms and status of documents that are all still at the revision being
 * indexed (the caller holds their rows locked), inside the caller's transaction: their previous
 * chunks are replaced, so a job run twice leaves one set. A few statements for the whole batch,
 * whatever the number of documents and chunks.
 */
export async function storeDocuments(
  tx: Transaction,
  owner: ActorContext,
  documents: PreparedDocument[],
): Promise<void> {
  if (documents.length === 0) return;
  await tx.execute(
    sql`delete from knowledge.kb_chunks where document_id = any(${uuidArray(documents.map((d) => d.document.id))})`,
  );
  // Chunks, a collection at a time (its text search language is one parameter of the statement).
  const byCollection = new Map<string, PreparedDocument[]>();
  for (const prepared of documents)
    byCollection.set(prepared.document.collectionId, [
      ...(byCollection.get(prepared.document.collectionId) ?? []),
      prepared,
    ]);
  for (const [collectionId, members] of byCollection) {
    const language = members[0]!.settings.textSearchLanguage;
    // A chunk's lead part goes as its length in characters (Postgres counts code points, a
    // JavaScript string UTF-16 units), not as copies of the text: what crosses the socket, and
    // what Postgres parses, is the content once.
    const rows = members.flatMap(({ document, chunks, vectors, lead }) =>
      chunks.map((chunk, ordinal) => {
        const inLead = Math.max(0, Math.min(chunk.content.length, lead - chunk.charStart));
        return {
          id: uuidv7(),
          document_id: document.id,
          document_name: document.name,
          ordinal,
          content: chunk.content,
          lead_chars: inLead === 0 ? 0 : codePoints(chunk.content.slice(0, inLead)),
          heading_path: chunk.headingPath,
          char_start: chunk.charStart,
          char_end: chunk.charEnd,
          token_count: chunk.tokenCount,
          embedding: realArrayLiteral(vectors[ordinal]!),
        };
      }),
    );
    // The document name and headings weigh most (A), then the document's lead (B), then the
    // body (D).
    for (const run of inRuns(rows, (row) => row.content.length + row.embedding.length + 200, STATEMENT_CHARS))
      await tx.execute(sql`
        insert into knowledge.kb_chunks
          (id, collection_id, document_id, ordinal, content, heading_path, char_start, char_end, token_count, tsv, embedding)
        select r.id, ${collectionId}, r.document_id, r.ordinal, r.content, r.heading_path,
               r.char_start, r.char_end, r.token_count,
               setweight(to_tsvector(${language}::regconfig, r.document_name || ' ' || array_to_string(r.heading_path, ' ')), 'A')
                 || setweight(to_tsvector(${language}::regconfig, left(r.content, r.lead_chars)), 'B')
                 || to_tsvector(${language}::regconfig, substr(r.content, r.lead_chars + 1)),
               r.embedding::real[]
        from jsonb_to_recordset(${JSON.stringify(run)}::jsonb) as r(
          id uuid, document_id uuid, document_name text, ordinal int, content text, lead_chars int,
          heading_path text[], char_start int, char_end int, token_count int, embedding text)`);
  }
  // The document-level index that ranks documents (BM25F, see text-leg.ts): the documents'
  // previous postings go first (a separate statement: an insert does not see a delete of the same
  // statement), then each run of documents has its postings counted, its field lengths summed,
  // its postings inserted with those lengths (only for documents with chunks: no other is
  // searched), and its status, chunk count, lengths and embedding set, in one statement (one
  // update per document).
  await tx.execute(
    sql`delete from knowledge.kb_terms where document_id = any(${uuidArray(documents.map((d) => d.document.id))})`,
  );
  const terms = documents.map(({ document, settings, text, lead, chunks, vectors }) => ({
    id: document.id,
    collection_id: document.collectionId,
    language: settings.textSearchLanguage,
    name: document.name,
    lead: text.slice(0, lead),
    body: bodyPieces(text, lead),
    chunks: chunks.length,
    embedding: vectors.length ? realArrayLiteral(documentEmbedding(vectors)) : null,
  }));
  for (const run of inRuns(
    terms,
    (t) =>
      t.name.length +
      t.lead.length +
      t.body.reduce((n, piece) => n + piece.length, 0) +
      (t.embedding?.length ?? 0),
    STATEMENT_CHARS,
  ))
    await tx.execute(sql`
      with indexed as (
        select * from jsonb_to_recordset(${JSON.stringify(run)}::jsonb)
          as t(id uuid, collection_id uuid, language regconfig, name text, lead text, body text[], chunks int,
                embedding text)
      ),
      words as materialized (
        select t.id as document_id, w.lexeme, w.name_tf, w.lead_tf, w.body_tf
        from indexed t, knowledge.document_terms(t.language, t.name, t.lead, t.body) w
      ),
      lengths as (
        select document_id, sum(name_tf) as name_terms, sum(lead_tf) as lead_terms, sum(body_tf) as body_terms
        from words group by document_id
      ),
      stored as (
        insert into knowledge.kb_terms
          (collection_id, lexeme, document_id, name_tf, lead_tf, body_tf, name_terms, lead_terms, body_terms)
        select t.collection_id, w.lexeme, t.id, w.name_tf, w.lead_tf, w.body_tf, l.name_terms, l.lead_terms, l.body_terms
        from indexed t join words w on w.document_id = t.id join lengths l on l.document_id = t.id
        where t.chunks > 0
      )
      update knowledge.kb_documents d
      set status = 'indexed', error = null, chunk_count = t.chunks, name_terms = coalesce(l.name_terms, 0),
          lead_terms = coalesce(l.lead_terms, 0), body_terms = coalesce(l.body_terms, 0),
          embedding = t.embedding::real[], indexed_at = now(), updated_at = now()
      from indexed t left join lengths l on l.document_id = t.id
      where d.id = t.id`);
  await appendEvents(
    tx,
    outbox,
    knowledgeEvents.documentIndexed,
    documents.map(({ document, chunks }) => ({
      data: {
        documentId: document.id,
        collectionId: document.collectionId,
        contentHash: document.contentHash,
        chunkCount: chunks.length,
        revision: document.revision,
      },
      actor: { userId: owner.userId, sessionId: null, orgId: owner.orgId ?? null },
    })),
  );
}
