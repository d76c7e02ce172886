import type { Transaction } from '@conduit/db';
import { type SQL, sql } from 'drizzle-orm';

/**
 * The full-text leg of hybrid search. Any user string is a valid query: the words are parsed by
 * plainto_tsquery (no operators, no syntax errors), then joined with OR instead of AND, because a
 * question rarely shares all its words with the passage that answers it; ts_rank_cd then favours
 * chunks where more of the words occur, close together. `strict` keeps the all-words AND (used to
 * measure how little it finds).
 */
export const orQuery = (language: string, query: string): SQL =>
  sql`replace(plainto_tsquery(${language}::regconfig, ${query})::text, ' & ', ' | ')::tsquery`;

export const andQuery = (language: string, query: string): SQL =>
  sql`plainto_tsquery(${language}::regconfig, ${query})`;

export interface TextHit {
  id: string;
  score: number;
}

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
  if (options.strict) {
    const rows = await tx.execute<{ id: string; score: number }>(sql`
      with q as (select ${andQuery(options.language, options.query)} as q)
      select c.id, ts_rank_cd(c.tsv, q.q) as score
      from q, knowledge.kb_chunks c join knowledge.kb_documents d on d.id = c.document_id
      where c.collection_id = any(${ids}) and c.tsv @@ q.q ${filter}
      order by score desc, c.id limit ${options.limit}`);
    return rows.map((r) => ({ id: r.id, score: Number(r.score) }));
  }
  // Postgres ranks without document frequencies, so a word found everywhere ("file") would weigh
  // as much as the one that matters ("rename"). Each query word is weighted by its inverse
  // document frequency over the searched chunks (counted through the GIN index), and a chunk
  // scores the sum over the words it contains of idf x ts_rank (which favours the document name
  // and headings, weight A, over the body). `weighted` is materialized: inlined, its counts would
  // run again for every candidate chunk.
  const rows = await tx.execute<{ id: string; score: number }>(sql`
    with q as (select plainto_tsquery(${options.language}::regconfig, ${options.query}) as q),
    terms as (
      select distinct term::tsquery as tq
      from q, unnest(string_to_array(q.q::text, ' & ')) as term
      where q.q::text <> ''
    ),
    total as (select count(*)::float8 as n from knowledge.kb_chunks where collection_id = any(${ids})),
    weighted as materialized (
      select t.tq,
             ln(1 + (total.n + 1) / (1 + (select count(*) from knowledge.kb_chunks k
                                          where k.collection_id = any(${ids}) and k.tsv @@ t.tq))) as idf
      from terms t, total
    ),
    orq as (select replace(q.q::text, ' & ', ' | ')::tsquery as q from q)
    select c.id,
           (select sum(w.idf * ts_rank(c.tsv, w.tq, 1)) from weighted w where c.tsv @@ w.tq) as score
    from orq, knowledge.kb_chunks c join knowledge.kb_documents d on d.id = c.document_id
    where c.collection_id = any(${ids}) and c.tsv @@ orq.q ${filter}
    order by score desc, c.id limit ${options.limit}`);
  return rows.map((r) => ({ id: r.id, score: Number(r.score) }));
}
