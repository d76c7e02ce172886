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

/**
 * `weight * tf' / (k1 + tf')` with `tf' = tf / (1 - b + b * length / average)`, computed as
 * `weight * tf / (tf + k1 * (1 - b) + k1 * b / average * length)`: the same value with one
 * division instead of three, and `k1 * b / average` computed once per search (`stats`), not per
 * posting. Postgres evaluates this for every posting of every word of the question (thousands for
 * a common word), and the three divisions were a third of the text leg's time.
 */
function saturated(field: 'name' | 'lead' | 'body'): SQL {
  const tf = sql.raw(`h.${field}_tf`);
  const length = sql.raw(`h.${field}_terms`);
  const perLength = sql.raw(`stats.${field}_per_length`);
  const b = BM25F.b[field];
  return sql`${BM25F.weight[field]}::float8 * ${tf} / (${tf} + ${BM25F.k1 * (1 - b)}::float8 + ${perLength} * ${length})`;
}

/**
 * `k1 * b / average length` of a field, the per-search constant of `saturated`, from `totals`
 * (an average of at least 1).
 */
const perLength = (field: 'name' | 'lead' | 'body') =>
  sql.raw(
    `${BM25F.k1 * BM25F.b[field]}::float8 / greatest(coalesce(${field}_terms / nullif(n, 0), 0), 1) as ${field}_per_length`,
  );

/**
 * Documents of the collections ranked by BM25F for the query's words, best first. The words'
 * document frequencies (idf) and the average field lengths are those of the searched collections,
 * after the metadata filter (`filter` is a condition on `d`, the document, or none). Without a
 * filter the collections' counts come from kb_collection_stats (kept by triggers, migration 0010)
 * rather than from every document of the collections.
 *
 * A posting carries its term frequencies and its document's field lengths (migration 0014), and
 * the primary key's index holds them all: the question's postings are read from the index alone
 * once the rows are vacuumed (the worker vacuums after bulk loads, refresh-statistics.ts), word by
 * word, by the key's (collection_id, lexeme) prefix (a lateral subquery per word, fenced by
 * `offset 0`), after an index-only count of them gives the word's document frequency. The plan
 * does not depend on what the planner knows of the collection: for one indexed since the tables
 * were last analyzed (estimated at one row), a `lexeme = any(...)` would be left out of the index
 * condition and the collection's postings read whole, and the join to the documents it needed
 * before 0014 became a nested loop over all of them for each posting (seconds, where a word at a
 * time takes milliseconds: docs/benchmarks.md).
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
  // Only documents with chunks count: one without (empty, or headings only) has nothing to show,
  // and has no postings (store-documents.ts).
  const filtered = sql`d.collection_id = any(${ids}) and d.chunk_count > 0 ${options.filter ?? sql``}`;
  const stats = options.filter
    ? sql`select count(*)::float8 as n, sum(d.name_terms)::float8 as name_terms, sum(d.lead_terms)::float8 as lead_terms,
                 sum(d.body_terms)::float8 as body_terms
          from knowledge.kb_documents d where ${filtered}`
    : sql`select sum(s.documents)::float8 as n, sum(s.name_terms)::float8 as name_terms,
                 sum(s.lead_terms)::float8 as lead_terms, sum(s.body_terms)::float8 as body_terms
          from knowledge.kb_collection_stats s where s.collection_id = any(${ids})`;
  // A metadata filter asks each posting's document (by its key: a look-up per posting, whatever
  // the planner knows of the collection).
  const passingFilter = options.filter
    ? sql`and exists (select from knowledge.kb_documents d
                      where d.collection_id = h.collection_id and d.id = h.document_id ${options.filter})`
    : sql``;
  // Each word's postings are read twice by the key's prefix, an index-only count (its document
  // frequency, hence its idf) and then the postings themselves, each scored as it is read: no
  // posting is stored between steps. Materializing them to count them first, then joining them
  // to the counts, took 40% of the text leg (8-9 -> 5 ms for a question of 5,900 postings).
  const wordPostings = sql`knowledge.kb_terms h
    where h.collection_id = any(${ids}) and h.lexeme = w.lexeme ${passingFilter}`;
  const rows = await tx.execute<{ document_id: string; score: number }>(sql`
    with totals as materialized (${stats}),
    stats as materialized (
      select greatest(coalesce(n, 0), 1) as n, ${perLength('name')}, ${perLength('lead')}, ${perLength('body')}
      from totals
    )
    select h.document_id, sum(df.idf * (${saturated('name')} + ${saturated('lead')} + ${saturated('body')})) as score
    from stats
    cross join (select distinct t.lexeme from unnest(to_tsvector(${options.language}::regconfig, ${options.query})) t) w
    cross join lateral (
      select ln(1 + (stats.n - count(*) + 0.5) / (count(*) + 0.5)) as idf from ${wordPostings}
    ) df
    cross join lateral (select h.* from ${wordPostings} offset 0) h
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
