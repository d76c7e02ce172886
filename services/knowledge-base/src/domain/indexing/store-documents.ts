import { appendEvents } from '@conduit/bus';
import { knowledgeEvents } from '@conduit/contracts';
import { type ActorContext, inRuns, type Transaction, uuidv7 } from '@conduit/db';
import { sql } from 'drizzle-orm';
import { outbox } from '../../db/schema.js';
import { uuidArray } from '../../db/uuid-array.js';
import { normalise } from '../embeddings/embedder.js';
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
 * A document's chunks as the rows of its statement. Where a chunk's parts start go as lengths in
 * characters (Postgres counts code points, a JavaScript string UTF-16 units), not as copies of the
 * text: what crosses the socket, and what Postgres parses, is the content once. `lead_chars`: how
 * much of the chunk lies in the document's lead; `fresh_from`: where the text the previous chunk
 * did not hold begins (chunks overlap, and end between words).
 */
function chunkRows({ document, chunks, vectors, lead }: PreparedDocument) {
  let reached = 0;
  return chunks.map((chunk, ordinal) => {
    const inLead = Math.max(0, Math.min(chunk.content.length, lead - chunk.charStart));
    const seen = Math.max(0, Math.min(chunk.content.length, reached - chunk.charStart));
    reached = Math.max(reached, chunk.charEnd);
    return {
      id: uuidv7(),
      document_id: document.id,
      ordinal,
      content: chunk.content,
      lead_chars: inLead === 0 ? 0 : codePoints(chunk.content.slice(0, inLead)),
      fresh_from: seen === 0 ? 0 : codePoints(chunk.content.slice(0, seen)),
      heading_path: chunk.headingPath,
      char_start: chunk.charStart,
      char_end: chunk.charEnd,
      token_count: chunk.tokenCount,
      embedding: realArrayLiteral(vectors[ordinal]!),
    };
  });
}

/** A document as its run's statement takes it: its chunks' rows and its own row. */
const runItem = (prepared: PreparedDocument) => ({
  rows: chunkRows(prepared),
  document: {
    id: prepared.document.id,
    name: prepared.document.name,
    lead: prepared.text.slice(0, prepared.lead),
    chunks: prepared.chunks.length,
    embedding: prepared.vectors.length ? realArrayLiteral(documentEmbedding(prepared.vectors)) : null,
  },
});
type RunItem = ReturnType<typeof runItem>;

/**
 * Stores the chunks, terms and status of documents that are all still at the revision being
 * indexed (the caller holds their rows locked), inside the caller's transaction: their previous
 * chunks and postings are replaced, so a job run twice leaves one set. A statement per run of
 * documents of a collection (up to STATEMENT_CHARS), whatever their number of chunks.
 */
export async function storeDocuments(
  tx: Transaction,
  owner: ActorContext,
  documents: PreparedDocument[],
): Promise<void> {
  if (documents.length === 0) return;
  // A separate statement: an insert does not see a delete of the same statement.
  const ids = uuidArray(documents.map((d) => d.document.id));
  await tx.execute(sql`
    with chunks as (delete from knowledge.kb_chunks where document_id = any(${ids}))
    delete from knowledge.kb_terms where document_id = any(${ids})`);
  const byCollection = new Map<string, PreparedDocument[]>();
  for (const prepared of documents)
    byCollection.set(prepared.document.collectionId, [
      ...(byCollection.get(prepared.document.collectionId) ?? []),
      prepared,
    ]);
  for (const [collectionId, members] of byCollection) {
    const language = members[0]!.settings.textSearchLanguage;
    const size = ({ rows, document }: RunItem) =>
      rows.reduce((n, row) => n + row.content.length + row.embedding.length + 200, 0) +
      document.name.length +
      document.lead.length +
      (document.embedding?.length ?? 0);
    for (const run of inRuns(members.map(runItem), size, STATEMENT_CHARS))
      await storeRun(tx, collectionId, language, run);
  }
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

/**
 * One statement for a run of documents of one collection: their chunks, their postings in the
 * document-level index that ranks documents (BM25F, see text-leg.ts) with their field lengths, and
 * their status, chunk count, lengths and embedding (one update per document).
 *
 * Each chunk's text goes through the text search parser once. Its search vector weighs the document
 * name and headings most (A), then the document's lead (B), then the rest (D), parsed in two
 * parts: the head (A, B, and what the previous chunk held) and the fresh text after it. The fresh
 * parts of a document's chunks, past its lead, are its body, whose words the postings count (as
 * migration 0005 rebuilt them from the chunks), instead of parsing the document's text again; its
 * name and lead are parsed apart for their own counts. A count beyond what a smallint holds is
 * kept at its maximum: BM25 saturates long before that. Postings go in in word order, as the
 * primary key's index holds them (fewer pages to visit), and only for documents with chunks: no
 * other is searched.
 */
async function storeRun(
  tx: Transaction,
  collectionId: string,
  language: string,
  run: RunItem[],
): Promise<void> {
  await tx.execute(sql`
    with indexed as (
      select * from jsonb_to_recordset(${JSON.stringify(run.map((item) => item.document))}::jsonb)
        as t(id uuid, name text, lead text, chunks int, embedding text)
    ),
    parsed as materialized (
      select r.*,
             setweight(to_tsvector(${language}::regconfig, d.name || ' ' || array_to_string(r.heading_path, ' ')), 'A')
               || setweight(to_tsvector(${language}::regconfig, left(r.content, r.lead_chars)), 'B')
               || to_tsvector(${language}::regconfig,
                              substr(r.content, r.lead_chars + 1, greatest(0, r.fresh_from - r.lead_chars))) as head,
             to_tsvector(${language}::regconfig, substr(r.content, greatest(r.lead_chars, r.fresh_from) + 1)) as fresh
      from jsonb_to_recordset(${JSON.stringify(run.flatMap((item) => item.rows))}::jsonb) as r(
             id uuid, document_id uuid, ordinal int, content text, lead_chars int, fresh_from int,
             heading_path text[], char_start int, char_end int, token_count int, embedding text)
        join indexed d on d.id = r.document_id
    ),
    chunks as (
      insert into knowledge.kb_chunks
        (id, collection_id, document_id, ordinal, content, heading_path, char_start, char_end, token_count, tsv, embedding)
      select id, ${collectionId}, document_id, ordinal, content, heading_path, char_start, char_end, token_count,
             head || fresh, embedding::real[]
      from parsed
    ),
    words as materialized (
      select document_id, lexeme,
             least(coalesce(sum(tf) filter (where field = 1), 0), 32767)::smallint as name_tf,
             least(coalesce(sum(tf) filter (where field = 2), 0), 32767)::smallint as lead_tf,
             least(coalesce(sum(tf) filter (where field = 3), 0), 32767)::smallint as body_tf
      from (select t.id as document_id, 1 as field, w.lexeme, cardinality(w.positions) as tf
            from indexed t, unnest(to_tsvector(${language}::regconfig, t.name)) w
            union all
            select t.id, 2, w.lexeme, cardinality(w.positions)
            from indexed t, unnest(to_tsvector(${language}::regconfig, t.lead)) w
            union all
            select p.document_id, 3, w.lexeme, cardinality(w.positions) from parsed p, unnest(p.fresh) w) fields
      group by document_id, lexeme
    ),
    lengths as (
      select document_id, sum(name_tf) as name_terms, sum(lead_tf) as lead_terms, sum(body_tf) as body_terms
      from words group by document_id
    ),
    stored as (
      insert into knowledge.kb_terms
        (collection_id, lexeme, document_id, name_tf, lead_tf, body_tf, name_terms, lead_terms, body_terms)
      select ${collectionId}, w.lexeme, t.id, w.name_tf, w.lead_tf, w.body_tf, l.name_terms, l.lead_terms, l.body_terms
      from indexed t join words w on w.document_id = t.id join lengths l on l.document_id = t.id
      where t.chunks > 0
      order by w.lexeme
    )
    update knowledge.kb_documents d
    set status = 'indexed', error = null, chunk_count = t.chunks, name_terms = coalesce(l.name_terms, 0),
        lead_terms = coalesce(l.lead_terms, 0), body_terms = coalesce(l.body_terms, 0),
        embedding = t.embedding::real[], indexed_at = now(), updated_at = now()
    from indexed t left join lengths l on l.document_id = t.id
    where d.id = t.id`);
}
