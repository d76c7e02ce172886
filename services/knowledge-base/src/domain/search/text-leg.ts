import type { Transaction } from '@conduit/db';
import { type SQL, sql } from 'drizzle-orm';

/**
 * The full-text leg of hybrid search. Any user string is a valid query: the words are parsed by
 * plainto_tsquery (no operators, no syntax errors), then joined with OR instead of AND, because a
 * question rarely shares all its words with the passage that answers it. `strict` keeps the
 * all-words AND (used to measure how little it finds).
 */
export const orQuery = (language: string, query: string): SQL =>
  sql`replace(plainto_tsquery(${language}::regconfig, ${query})::text, ' & ', ' | ')::tsquery`;

export const andQuery = (language: string, query: string): SQL =>
  sql`plainto_tsquery(${language}::regconfig, ${query})`;

/** One document found by the text leg: its score and its best chunk (`id`). */
export interface TextHit {
  /** The chunk that answers best within the document. */
  id: string;
  documentId: string;
  score: number;
}

/**
 * How the text leg weighs where a word occurs. Chunk vectors carry the document name and heading
 * path as weight A, the document's lead (its first LEAD_CHARS characters: title, summary, a
 * manual page's NAME line) as B, and the body as D (see index-document.ts).
 */
export const TEXT_RANKING = {
  /** ts_rank weights {D (body), C (unused), B (lead), A (name and headings)}. */
  weights: '{0.1,0.1,1.0,0.3}',
  /**
   * Words found in more than this share of the searched chunks, and in more than
   * `selectiveChunks` of them, do not select candidates (they still score): "file" would
   * otherwise make a quarter of the manual pages' chunks candidates. Small collections score
   * every chunk that has any of the words.
   */
  selectiveShare: 0.1,
  selectiveChunks: 1000,
} as const;

export async function textLeg(
  tx: Transaction,
  options: {
    language: string;
    query: string;
    collectionIds: string[];
    filter: SQL;
    limit: number;
    strict?: boolean;
  },
): Promise<TextHit[]> {
  const ids = sql`${`{${options.collectionIds.join(',')}}`}::uuid[]`;
  const filter = options.filter ?? sql``;
  const language = sql`${options.language}::regconfig`;
  if (options.strict) {
    const rows = await tx.execute<{ id: string; document_id: string; score: number }>(sql`
      with q as (select ${andQuery(options.language, options.query)} as q)
      select c.id, c.document_id, ts_rank_cd(c.tsv, q.q) as score
      from q, knowledge.kb_chunks c join knowledge.kb_documents d on d.id = c.document_id
      where c.collection_id = any(${ids}) and c.tsv @@ q.q ${filter}
      order by score desc, c.id limit ${options.limit}`);
    return rows.map((r) => ({ id: r.id, documentId: r.document_id, score: Number(r.score) }));
  }
  // Documents, not chunks, are ranked: a long page must not fill the results with its chunks,
  // and a page answers a question when its words are spread over its sections.
  // - Postgres ranks without document frequencies, so each word of the question is weighted by
  //   its inverse document frequency over the searched chunks (BM25's idf, counted through the
  //   GIN index): "rename" weighs more than "file".
  // - Candidates are the chunks holding a selective word (see selectiveShare).
  // - A document scores, for each word, idf x its best ts_rank over the document's candidate
  //   chunks (where the lead weighs 10 times the body); its best chunk is the one scoring most
  //   by itself. Candidates' vectors are detoasted once (`|| ''`), not once per word, and are
  //   read by primary key (`= any(array(...))`): a join on the function's rows makes the planner
  //   hash every chunk of the collection.
  // `weighted` and `candidates` are materialized: inlined, they would run again for every row.
  const { weights, selectiveShare, selectiveChunks } = TEXT_RANKING;
  // Index look-ups go through knowledge.text_matches / text_match_counts (migration 0003): under
  // row-level security Postgres cannot use the GIN index for `@@` itself.
  const rows = await tx.execute<{ document_id: string; chunk_id: string; score: number }>(sql`
    with q as (select plainto_tsquery(${language}, ${options.query}) as q),
    terms as (
      select array_agg(distinct term::tsquery) as tqs
      from q, unnest(string_to_array(q.q::text, ' & ')) as term
      where q.q::text <> ''
    ),
    total as (
      select greatest(1, coalesce(sum(chunk_count), 0))::float8 as n
      from knowledge.kb_documents where collection_id = any(${ids})
    ),
    weighted as materialized (
      select x.tq, x.df, total.n,
             ln(1 + greatest(0, total.n - x.df + 0.5) / (x.df + 0.5)) as idf
      from terms, total,
           unnest(terms.tqs, knowledge.text_match_counts(${ids}, terms.tqs)) as x(tq, df)
    ),
    pick as (
      select (select string_agg(tq::text, ' | ') from weighted
              where df <= greatest(${selectiveShare} * n, ${selectiveChunks}, (select min(df) from weighted)))::tsquery as q
      from weighted limit 1
    ),
    candidates as materialized (
      select c.id, c.document_id, c.tsv || ''::tsvector as tsv
      from knowledge.kb_chunks c join knowledge.kb_documents d on d.id = c.document_id
      where c.id = any(array(select m.chunk_id from pick, knowledge.text_matches(${ids}, pick.q) m))
        and c.collection_id = any(${ids}) ${filter}
    ),
    scored as (
      select c.id, c.document_id, w.tq, w.idf,
             ts_rank(${weights}::float4[], c.tsv, w.tq, 1) as rank
      from candidates c join weighted w on c.tsv @@ w.tq
    ),
    chunks as (
      select id, document_id, sum(idf * rank) as score from scored group by id, document_id
    ),
    documents as (
      select document_id, sum(idf * rank) as score
      from (select document_id, tq, max(idf) as idf, max(rank) as rank from scored group by document_id, tq) per_word
      group by document_id
      order by score desc, document_id limit ${options.limit}
    )
    select distinct on (d.score, d.document_id) d.document_id, c.id as chunk_id, d.score
    from documents d join chunks c on c.document_id = d.document_id
    order by d.score desc, d.document_id, c.score desc, c.id`);
  return rows.map((r) => ({ id: r.chunk_id, documentId: r.document_id, score: Number(r.score) }));
}
