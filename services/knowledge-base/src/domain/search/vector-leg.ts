import type { Transaction } from '@conduit/db';
import { type SQL, sql } from 'drizzle-orm';
import { LOCAL_DIMENSIONS } from '../embeddings/local-embedder.js';

/**
 * The vector leg of hybrid search, in one place for both storage paths:
 * - plain Postgres: an exact scan, cosine similarity as the dot product of unit vectors (real[]),
 *   over the chunks of the candidate documents the text leg found (`documentIds`), or over every
 *   chunk of the searched collections when there are none (see dotProduct for how it is
 *   computed). Scanning every chunk costs about 10 µs a chunk: 400 ms at 38,000 chunks;
 * - pgvector (when migration 0002 found the extension): the `embedding_vector` column, with the
 *   HNSW index for the built-in embedder's dimension and an exact `<=>` scan for others.
 */
export interface VectorHit {
  id: string;
  documentId: string;
  score: number;
}

/** True when the chunks table has the pgvector column (migration 0002 created it). */
export async function detectPgvector(query: (text: string) => Promise<unknown[]>): Promise<boolean> {
  const rows = await query(
    `select 1 from information_schema.columns
     where table_schema = 'knowledge' and table_name = 'kb_chunks' and column_name = 'embedding_vector'`,
  );
  return rows.length > 0;
}

export async function vectorLeg(
  tx: Transaction,
  options: {
    pgvector: boolean;
    vector: number[];
    collectionIds: string[];
    filter: SQL;
    limit: number;
    /** Without pgvector: only these documents' chunks are scanned (when not empty). */
    documentIds?: string[];
  },
): Promise<VectorHit[]> {
  const { vector, collectionIds, filter, limit } = options;
  const ids = sql`${`{${collectionIds.join(',')}}`}::uuid[]`;
  const literal = `[${vector.join(',')}]`;
  if (options.pgvector) {
    // The HNSW index is on (embedding_vector::vector(256)) for rows of that dimension only.
    const indexed = vector.length === LOCAL_DIMENSIONS;
    const distance = indexed
      ? sql`(c.embedding_vector::vector(256)) <=> ${literal}::vector(256)`
      : sql`c.embedding_vector <=> ${literal}::vector`;
    const rows = await tx.execute<{ id: string; document_id: string; score: number }>(sql`
      select c.id, c.document_id, 1 - (${distance}) as score
      from knowledge.kb_chunks c join knowledge.kb_documents d on d.id = c.document_id
      where c.collection_id = any(${ids}) and vector_dims(c.embedding_vector) = ${vector.length} ${filter}
      order by ${distance} limit ${limit}`);
    return rows.map((r) => ({ id: r.id, documentId: r.document_id, score: Number(r.score) }));
  }
  const documents = options.documentIds?.length
    ? sql`and c.document_id = any(${`{${options.documentIds.join(',')}}`}::uuid[])`
    : sql``;
  const rows = await tx.execute<{ id: string; document_id: string; score: number }>(sql`
    select c.id, c.document_id, ${dotProduct(vector)} as score
    from knowledge.kb_chunks c join knowledge.kb_documents d on d.id = c.document_id
    where c.collection_id = any(${ids}) and cardinality(c.embedding) = ${vector.length} ${documents} ${filter}
    order by score desc limit ${limit}`);
  return rows.map((r) => ({ id: r.id, documentId: r.document_id, score: Number(r.score) }));
}

/** Above this many non-zero dimensions, the query is dense: unnest both arrays instead. */
const SPARSE_LIMIT = 96;

/**
 * The dot product of each chunk's embedding with the query vector. A sparse query (the built-in
 * embedder's: a few dozen words hashed into 256 dimensions) only needs the chunk's values at its
 * non-zero dimensions, read by subscript, which is several times faster than unnesting all 256
 * per row; a dense one (remote embedders) goes through knowledge.dot_product. Both are exact.
 */
function dotProduct(vector: number[]): SQL {
  const nonZero = vector.flatMap((value, i) => (value === 0 ? [] : [[i + 1, value] as const]));
  if (nonZero.length === 0) return sql`0::float8`;
  if (nonZero.length > SPARSE_LIMIT)
    return sql`knowledge.dot_product(c.embedding, ${`{${vector.join(',')}}`}::real[])`;
  return sql.join(
    nonZero.map(([index, value]) => sql`coalesce(c.embedding[${index}::int], 0) * ${value}::float8`),
    sql` + `,
  );
}
