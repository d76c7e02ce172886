import type { Transaction } from '@conduit/db';
import { type SQL, sql } from 'drizzle-orm';
import { uuidArray } from '../../db/uuid-array.js';

// The full-text leg of hybrid search. Any user string is a valid query: its words are parsed by
// to_tsvector (no operators, no syntax errors), and a document needs only some of them, because a
// question rarely shares all its words with the passage that answers it.

/** One document found by the text leg, with its BM25F score. */
export interface TextHit {
  documentId: string;
  score: number;
}

/**
 * BM25F over three fields of a document: its name, its lead (the first characters: a title, a
 * summary, a manual page's NAME line; see LEAD_CHARS in index-document.ts) and the rest, its body.
 * Each field's term frequency is saturated on its own (a word said fifty times is not fifty times
 * the evidence) and discounted by the field's length (a page does not win by being long).
 * The lead weighs three times the body: in a small collection a rare word of the question that
 * only fills the sentence ("everything inside it") must not outvote the words of a title. Chosen
 * with `pnpm bench knowledge-base-eval` (whole manual-page corpus) and the search tests (slices).
 */
export const BM25F = {
  k1: 1.2,
  /** Weight of each field's saturated frequency. */
  weight: { name: 0.5, lead: 3, body: 1 },
  /** Length normalisation of each field (0: none, 1: full). */
  b: { name: 0.5, lead: 0.5, body: 0.75 },
} as const;

/** `weight * tf' / (k1 + tf')` with `tf' = tf / (1 - b + b * length / average length)`. */
function saturated(field: 'name' | 'lead' | 'body'): SQL {
  const tf = sql.raw(`h.${field}_tf`);
  const length = sql.raw(`h.${field}_terms`);
  const average = sql.raw(`stats.${field}_average`);
  const b = BM25F.b[field];
  const normalised = sql`(${tf}::float8 / (${1 - b}::float8 + ${b}::float8 * ${length} / ${average}))`;
  return sql`${BM25F.weight[field]}::float8 * ${normalised} / (${BM25F.k1}::float8 + ${normalised})`;
}

/**
 * Documents of the collections ranked by BM25F for the query's words, best first. The words'
 * document frequencies (idf) and the average field lengths are those of the searched collections,
 * after the metadata filter (`filter` is a condition on `d`, the document, or none). Without a
 * filter the collections' counts come from kb_collection_stats (kept by triggers, migration 0010)
 * rather than from every document of the collections.
 *
 * The plan does not depend on what the planner knows of the collections (a collection indexed
 * since the tables were last analyzed is unknown to it): the postings are read first, by the
 * primary key's (collection_id, lexeme) prefix, then their documents' lengths, and each word's
 * document frequency is counted once (materialized CTEs fence those steps). Both reads are
 * index-only scans once the rows are vacuumed (the key holds the term frequencies, and a
 * (collection_id, id) index the lengths: migration 0013), not a table page per posting.
 */
export async function textLeg(
  tx: Transaction,
  options: {
    language: string;
    query: string;
    collectionIds: string[];
    filter: SQL | undefined;
    limit: number;
  },
): Promise<TextHit[]> {
  const ids = uuidArray(options.collectionIds);
  // Only documents with chunks count: one without (empty, or headings only) has nothing to show.
  const searchable = sql`d.collection_id = any(${ids}) and d.chunk_count > 0 ${options.filter ?? sql``}`;
  const stats = options.filter
    ? sql`select count(*)::float8 as n, sum(d.name_terms)::float8 as name_terms, sum(d.lead_terms)::float8 as lead_terms,
                 sum(d.body_terms)::float8 as body_terms
          from knowledge.kb_documents d where ${searchable}`
    : sql`select sum(s.documents)::float8 as n, sum(s.name_terms)::float8 as name_terms,
                 sum(s.lead_terms)::float8 as lead_terms, sum(s.body_terms)::float8 as body_terms
          from knowledge.kb_collection_stats s where s.collection_id = any(${ids})`;
  const rows = await tx.execute<{ document_id: string; score: number }>(sql`
    with words as (
      select array(select distinct t.lexeme from unnest(to_tsvector(${options.language}::regconfig, ${options.query})) t) as lexemes
    ),
    totals as materialized (${stats}),
    stats as materialized (
      select greatest(coalesce(n, 0), 1) as n,
             greatest(coalesce(name_terms / nullif(n, 0), 0), 1) as name_average,
             greatest(coalesce(lead_terms / nullif(n, 0), 0), 1) as lead_average,
             greatest(coalesce(body_terms / nullif(n, 0), 0), 1) as body_average
      from totals
    ),
    terms as materialized (
      select h.document_id, h.lexeme, h.name_tf, h.lead_tf, h.body_tf
      from words, knowledge.kb_terms h
      where h.collection_id = any(${ids}) and h.lexeme = any(words.lexemes)
    ),
    postings as materialized (
      select h.document_id, h.lexeme, h.name_tf, h.lead_tf, h.body_tf, d.name_terms, d.lead_terms, d.body_terms
      from terms h join knowledge.kb_documents d on d.id = h.document_id
      where ${searchable}
    ),
    idf as materialized (
      select lexeme, ln(1 + (stats.n - count(*) + 0.5) / (count(*) + 0.5)) as idf
      from postings, stats group by lexeme, stats.n
    )
    select h.document_id, sum(idf.idf * (${saturated('name')} + ${saturated('lead')} + ${saturated('body')})) as score
    from postings h join idf using (lexeme), stats
    group by h.document_id
    order by score desc, h.document_id limit ${options.limit}`);
  return rows.map((r) => ({ documentId: r.document_id, score: Number(r.score) }));
}

/**
 * Chunks holding every word of the query, ranked by cover density: the strict full-text match a
 * plain `plainto_tsquery` gives. Not used by search; kept to measure how little it finds.
 */
export async function allWordsChunks(
  tx: Transaction,
  options: { language: string; query: string; collectionIds: string[]; limit: number },
): Promise<{ chunkId: string; documentId: string }[]> {
  const ids = uuidArray(options.collectionIds);
  const rows = await tx.execute<{ id: string; document_id: string }>(sql`
    with q as (select plainto_tsquery(${options.language}::regconfig, ${options.query}) as q)
    select c.id, c.document_id
    from q, knowledge.kb_chunks c
    where c.collection_id = any(${ids}) and c.tsv @@ q.q
    order by ts_rank_cd(c.tsv, q.q) desc, c.id limit ${options.limit}`);
  return rows.map((r) => ({ chunkId: r.id, documentId: r.document_id }));
}
