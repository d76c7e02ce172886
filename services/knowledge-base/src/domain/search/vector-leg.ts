import type { Transaction } from '@conduit/db';
import { type SQL, sql } from 'drizzle-orm';
import { uuidArray } from '../../db/uuid-array.js';
import { LOCAL_DIMENSIONS } from '../embeddings/local-embedder.js';

/**
 * The vector leg of hybrid search, in one place for both storage paths:
 * - the candidate documents the text leg found (`documentIds`), on either storage: an exact scan
 *   of their chunks, cosine similarity as the dot product of unit vectors (real[]; see dotProduct
 *   for how it is computed);
 * - no candidates, plain Postgres: the same over every chunk of the searched collections, about
 *   10 µs a chunk: 400 ms at 38,000 chunks;
 * - no candidates, pgvector (when migration 0002 found the extension): the `embedding_vector`
 *   column, over every chunk of the searched collections: an exact `<=>` scan when they hold few
 *   chunks (or the dimension has no index), else the HNSW index for the built-in embedder's
 *   dimension. The index
 *   holds every tenant's chunks, and a plain HNSW scan stops after `hnsw.ef_search` of them (40 by
 *   default) whichever collection they are in: so it is asked for as many as the leg wants, and
 *   pgvector 0.8's iterative scan goes on until that many are of the searched collections (or
 *   it gives up, and the leg compares every chunk). Without iterative scans: always exact.
 */
export interface VectorHit {
  id: string;
  documentId: string;
  score: number;
}

/**
 * Where pgvector is, when the chunks table has its column (migration 0002 created it): the schema
 * of the extension, which the runtime role's search path does not hold, so the vector leg names
 * the type and the operator by it; and whether its library can scan an HNSW index iteratively
 * (0.8+; asked of the library, since the extension's recorded version lags until it is updated).
 * Undefined without pgvector.
 */
export interface Pgvector {
  schema: string;
  iterativeScan: boolean;
  /** The HNSW index holds the embeddings at half precision (halfvec, migration 0015). */
  halfPrecisionIndex: boolean;
}

export async function detectPgvector(
  query: (text: string) => Promise<unknown[]>,
): Promise<Pgvector | undefined> {
  const [found] = (await query(
    `select n.nspname as schema
     from pg_extension e join pg_namespace n on n.oid = e.extnamespace
     where e.extname = 'vector' and exists (
       select 1 from information_schema.columns
       where table_schema = 'knowledge' and table_name = 'kb_chunks' and column_name = 'embedding_vector')`,
  )) as { schema: string }[];
  if (!found) return undefined;
  // Using the type loads the library, which defines its settings.
  const [library] = (await query(
    `select current_setting('hnsw.iterative_scan', true) is not null as iterative
     from (select '[1]'::"${found.schema.replaceAll('"', '""')}".vector) loaded`,
  )) as { iterative: boolean }[];
  const [index] = (await query(
    `select indexdef like '%halfvec%' as half from pg_indexes
     where schemaname = 'knowledge' and indexname = 'kb_chunks_embedding_hnsw_256'`,
  )) as { half: boolean }[];
  return {
    schema: found.schema,
    iterativeScan: Boolean(library?.iterative),
    halfPrecisionIndex: Boolean(index?.half),
  };
}

/**
 * Up to this many chunks in the searched collections, pgvector compares the query with each of
 * them (about 3 µs a chunk): exact, and as fast as the index at that size.
 */
export const EXACT_SCAN_CHUNKS = 10_000;

/**
 * How widely the HNSW index looks for each question's nearest chunks: its graph is built sparse
 * (migration 0015: m = 8, ef_construction = 32, cheap to insert into), which a wider search at
 * question time makes up for (recall of the 20 nearest 0.94 here, against 0.87 at 60).
 */
const HNSW_EF_SEARCH = 120;

/** The order the HNSW index (migration 0002, rebuilt by 0015) serves: its expression, exactly. */
export function hnswOrder(pgvector: Pgvector, vector: number[]): SQL {
  const schema = sql.identifier(pgvector.schema);
  const type = pgvector.halfPrecisionIndex ? sql`${schema}.halfvec(256)` : sql`${schema}.vector(256)`;
  return sql`(c.embedding_vector::${type}) operator(${schema}.<=>) ${`[${vector.join(',')}]`}::${type}`;
}

type Row = { id: string; document_id: string; score: number };

export async function vectorLeg(
  tx: Transaction,
  options: {
    pgvector: Pgvector | undefined;
    vector: number[];
    collectionIds: string[];
    /** A condition on `d`, the chunk's document (the metadata filter), or none. */
    filter: SQL | undefined;
    limit: number;
    /**
     * Only these documents' chunks are compared (when not empty), and only each document's best
     * chunk is returned.
     */
    documentIds?: string[];
    /** With pgvector: the index may be used above this many chunks (EXACT_SCAN_CHUNKS). */
    exactScanChunks?: number;
  },
): Promise<VectorHit[]> {
  const { vector, collectionIds, limit } = options;
  const ids = uuidArray(collectionIds);
  const candidates = options.documentIds?.length ? uuidArray(options.documentIds) : undefined;
  // The filtered documents first, bound as a constant that Postgres hashes: a join would put the
  // HNSW scan under a join and a sort, and `= any(array(subquery))` compares with each element.
  let filter = sql``;
  if (options.filter) {
    const passing = await tx.execute<{ id: string }>(
      sql`select d.id from knowledge.kb_documents d where d.collection_id = any(${ids}) ${options.filter}`,
    );
    if (passing.length === 0) return [];
    filter = sql`and c.document_id = any(${uuidArray(passing.map((d) => d.id))})`;
  }
  const hits = (rows: Row[]) =>
    rows
      .map((r) => ({ id: r.id, documentId: r.document_id, score: Number(r.score) }))
      .filter((hit) => Number.isFinite(hit.score));

  // Where the text leg found documents, their chunks are compared exactly on either storage: a
  // thousand chunks take a few ms, where an HNSW scan of a table shared by four tenants, asked for
  // as many chunks of one collection, cost 30 ms of the database's time per search. The index
  // serves questions for which the text leg found nothing, where a search of every chunk is the
  // only vector leg there is.
  if (options.pgvector && !candidates) {
    const { schema: schemaName, iterativeScan } = options.pgvector;
    const schema = sql.identifier(schemaName);
    // The HNSW index is on the embeddings of rows of the built-in embedder's dimension only.
    const indexed = vector.length === LOCAL_DIMENSIONS;
    const literal = `[${vector.join(',')}]`;
    const distance = sql`c.embedding_vector operator(${schema}.<=>) ${literal}::${schema}.vector`;
    // A chunk of stop words embeds to zeros, whose cosine distance is NaN (HNSW leaves them out).
    // Scores are the full-precision distance, whatever order found the chunks. The dimension is
    // written as a literal: the HNSW index is partial on it, and a generic plan (the search's
    // transaction asks for them) cannot prove the index's predicate from a parameter.
    const scan = (order: SQL) =>
      tx.execute<Row>(sql`
        select c.id, c.document_id, 1 - (${distance}) as score
        from knowledge.kb_chunks c
        where c.collection_id = any(${ids})
          and ${schema}.vector_dims(c.embedding_vector) = ${sql.raw(String(vector.length))}
          and ${schema}.vector_norm(c.embedding_vector) > 0 ${filter}
        order by ${order} limit ${limit}`);
    // Ordered by score, not distance: the planner cannot use the index for that.
    const exact = () => scan(sql`score desc, c.id`);
    // Without iterative scans, HNSW stops after ef_search chunks of the whole table, whoever's.
    if (!indexed || !iterativeScan) return hits(await exact());
    // The index's settings go in the same write as the size (they change nothing for an exact scan).
    const [[size]] = await Promise.all([
      tx.execute<{ chunks: number }>(
        sql`select coalesce(sum(chunk_count), 0)::int as chunks from knowledge.kb_documents where collection_id = any(${ids})`,
      ),
      tx.execute(
        sql`select set_config('hnsw.ef_search', ${String(Math.min(1000, Math.max(HNSW_EF_SEARCH, limit)))}, true),
                   set_config('hnsw.iterative_scan', 'strict_order', true)`,
      ),
    ]);
    if (size!.chunks <= (options.exactScanChunks ?? EXACT_SCAN_CHUNKS)) return hits(await exact());
    const viaIndex = await scan(hnswOrder(options.pgvector, vector));
    // The iterative scan gives up after hnsw.max_scan_tuples: a collection that is a small share
    // of a large table may come back short, and is then compared chunk by chunk.
    if (viaIndex.length < Math.min(limit, size!.chunks)) return hits(await exact());
    return hits(viaIndex);
  }
  // The candidates' chunks are looked up document by document (a lateral subquery, fenced by
  // `offset 0`), so that both columns of the (collection_id, document_id) index bound each look-up
  // whatever the planner knows of the collection. Read as one `document_id = any(...)`, a
  // collection indexed since the chunks were last analyzed (estimated at one row) was scanned
  // whole with the documents as a filter: 25-29 ms against 1.6, the first searches after a load.
  const chunks = candidates
    ? sql`unnest(${candidates}) as candidate(id)
          cross join lateral (
            select c.id, c.document_id, c.collection_id, c.embedding from knowledge.kb_chunks c
            where c.collection_id = any(${ids}) and c.document_id = candidate.id offset 0
          ) c`
    : sql`knowledge.kb_chunks c`;
  // Each chunk's embedding is read once into `v.e`, uncompressed: a subscript of the stored value
  // decompresses the whole array again (rows over 2 kB are stored compressed), and a query of the
  // built-in embedder asks for 20-40 of its elements (2.5x the time of reading it once).
  const scored = sql`
    select c.id, c.document_id, ${dotProduct(vector)} as score
    from ${chunks}
    cross join lateral (select array_cat(c.embedding, '{}'::real[]) as e offset 0) v
    where c.collection_id = any(${ids}) and cardinality(c.embedding) = ${vector.length} ${filter}`;
  // Of the candidates' chunks only each document's best is sent back, best first: a document
  // scores by its best chunk, and the rest (some 600 rows for the text leg's 60 documents) were
  // sent, parsed and dropped at every search.
  return hits(
    await tx.execute<Row>(
      candidates
        ? sql`select * from (select distinct on (s.document_id) s.* from (${scored}) s
                             order by s.document_id, s.score desc, s.id) best
              order by score desc, id limit ${limit}`
        : sql`${scored} order by score desc limit ${limit}`,
    ),
  );
}

/** Above this many non-zero dimensions, the query is dense: unnest both arrays instead. */
const SPARSE_LIMIT = 96;

/**
 * The dot product of each chunk's embedding (`v.e`) with the query vector. A sparse query (the built-in
 * embedder's: a few dozen words hashed into 256 dimensions) only needs the chunk's values at its
 * non-zero dimensions, read by subscript, which is several times faster than unnesting all 256
 * per row; a dense one (remote embedders) goes through knowledge.dot_product. Both are exact.
 */
function dotProduct(vector: number[]): SQL {
  const nonZero = vector.flatMap((value, i) => (value === 0 ? [] : [[i + 1, value] as const]));
  if (nonZero.length === 0) return sql`0::float8`;
  if (nonZero.length > SPARSE_LIMIT)
    return sql`knowledge.dot_product(v.e, ${`{${vector.join(',')}}`}::real[])`;
  return sql.join(
    nonZero.map(([index, value]) => sql`coalesce(v.e[${index}::int], 0) * ${value}::float8`),
    sql` + `,
  );
}
