import type { Sql } from 'postgres';

/**
 * The bare SQL baseline of search: Postgres's own full text over the chunks the service stored,
 * ranked by cover density, with the GIN index of their tsvectors that such a setup has. The
 * service no longer keeps that index (migration 0015: it ranks documents from its postings), so a
 * scenario builds it once its indexing is measured; it is the baseline's, not the service's.
 */
export async function indexChunkWords(admin: Sql): Promise<void> {
  await admin`create index if not exists bench_kb_chunks_tsv_idx on knowledge.kb_chunks using gin (tsv)`;
}

/** The names of the five best chunks' documents: every word of the question (AND), or any (OR). */
export function bareFullText(
  admin: Sql,
  question: string,
  options: { any: boolean; collectionId?: string },
): Promise<{ name: string }[]> {
  const query = options.any
    ? admin`replace(plainto_tsquery('english', ${question})::text, ' & ', ' | ')::tsquery`
    : admin`plainto_tsquery('english', ${question})`;
  const collection = options.collectionId ? admin`c.collection_id = ${options.collectionId} and` : admin``;
  return admin<{ name: string }[]>`
    with q as (select ${query} as q)
    select d.name from q, knowledge.kb_chunks c join knowledge.kb_documents d on d.id = c.document_id
    where ${collection} c.tsv @@ q.q order by ts_rank_cd(c.tsv, q.q) desc limit 5`;
}
