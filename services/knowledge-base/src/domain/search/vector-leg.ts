import type { Transaction } from '@conduit/db';
import { type SQL, sql } from 'drizzle-orm';
import { uuidArray } from '../../db/uuid-array.js';
import { LOCAL_DIMENSIONS } from '../embeddings/local-embedder.js';

/**
 * The vector leg of hybrid search, in two steps on either storage:
 * 1. which documents: the candidates the text leg found (`documentIds`); or, when it found none,
 *    the documents nearest the question by their own embedding (the unit mean of their chunks',
 *    migration 0017): every document of the searched collections compared exactly, or, with
 *    pgvector (when migration 0002 found the extension) and more than a few thousand documents,
 *    its HNSW index on documents for the built-in embedder's dimension. The index holds every
 *    tenant's documents, and a plain HNSW scan stops after `hnsw.ef_search` of them (40 by
 *    default) whichever collection they are in: so it is asked for as many as the leg wants, and
 *    pgvector 0.8's iterative scan goes on until that many are of the searched collections (or it
 *    gives up, and the leg compares every document). Without iterative scans: always exact.
 * 2. each of those documents' best chunk: an exact scan of its chunks, cosine similarity as the
 *    dot product of unit vectors (real[]; see dotProduct for how it is computed).
 * A document scores by its best chunk, whichever way it was found.
 */
export interface VectorHit {
  id: string;
  documentId: string;
  score: number;
}

/**
 * Where pgvector is, when the documents have its index (migration 0017 created it): the schema of
 * the extension, which the runtime role's search path does not hold, so the vector leg names the
 * type and the operator by it; and whether its library can scan an HNSW index iteratively (0.8+;
 * asked of the library, since the extension's recorded version lags until it is updated).
 * Undefined without pgvector.
 */
export interface Pgvector {
  schema: string;
  iterativeScan: boolean;
  /** The HNSW index holds the embeddings at half precision (halfvec, pgvector 0.7+). */
  halfPrecisionIndex: boolean;
}

export async function detectPgvector(
  query: (text: string) => Promise<unknown[]>,
): Promise<Pgvector | undefined> {
  const [found] = (await query(
    `select n.nspname as schema, i.indexdef like '%halfvec%' as half
     from pg_extension e join pg_namespace n on n.oid = e.extnamespace,
          pg_indexes i
     where e.extname = 'vector' and i.schemaname = 'knowledge' and i.indexname = 'kb_documents_embedding_hnsw_256'`,
  )) as { schema: string; half: boolean }[];
  if (!found) return undefined;
  // Using the type loads the library, which defines its settings.
  const [library] = (await query(
    `select current_setting('hnsw.iterative_scan', true) is not null as iterative
     from (select '[1]'::"${found.schema.replaceAll('"', '""')}".vector) loaded`,
  )) as { iterative: boolean }[];
  return { schema: found.schema, iterativeScan: Boolean(library?.iterative), halfPrecisionIndex: found.half };
}

/**
 * Up to this many documents in the searched collections, the question is compared with each of
 * them (about 10 µs a document), even where pgvector's index could be asked: exact, and fast
 * enough at that size.
 */
export const EXACT_SCAN_DOCUMENTS = 2_000;

/**
 * How widely the HNSW index looks for each question's nearest documents: its graph is built
 * sparse (migration 0017: m = 8, ef_construction = 32, cheap to insert into), which a wider
 * search at question time makes up for: 0.98 of the 20 nearest found, where pgvector's default of
 * 40 found 0.93 (four tenants' 14,184 documents of the manual pages).
 */
const HNSW_EF_SEARCH = 120;

/** The order the HNSW index (migration 0017) serves: its expression, exactly. */
export function hnswOrder(pgvector: Pgvector, vector: number[]): SQL {
  const schema = sql.identifier(pgvector.schema);
  const type = pgvector.halfPrecisionIndex ? sql`${schema}.halfvec(256)` : sql`${schema}.vector(256)`;
  return sql`(d.embedding::${type}) operator(${schema}.<=>) ${`[${vector.join(',')}]`}::${type}`;
}

interface VectorLegOptions {
  pgvector: Pgvector | undefined;
  vector: number[];
  collectionIds: string[];
  /**
   * A condition on `d`, the document (the metadata filter), or none: the nearest documents are
   * chosen among those passing it.
   */
  filter: SQL | undefined;
  /** How many documents: each is answered by its best chunk. */
  limit: number;
  /** Only these documents' chunks are compared (when not empty): they passed the filter already. */
  documentIds?: string[];
  /** With pgvector: the index may be used above this many documents (EXACT_SCAN_DOCUMENTS). */
  exactScanDocuments?: number;
}

export async function vectorLeg(tx: Transaction, options: VectorLegOptions): Promise<VectorHit[]> {
  const documentIds = options.documentIds?.length ? options.documentIds : await nearestDocuments(tx, options);
  if (documentIds.length === 0) return [];
  const { vector, collectionIds, limit } = options;
  const ids = uuidArray(collectionIds);
  // The candidates' chunks are looked up document by document (a lateral subquery, fenced by
  // `offset 0`), so that both columns of the (collection_id, document_id) index bound each look-up
  // whatever the planner knows of the collection. Read as one `document_id = any(...)`, a
  // collection indexed since the chunks were last analyzed (estimated at one row) was scanned
  // whole with the documents as a filter: 25-29 ms against 1.6, the first searches after a load.
  // Of each document only its best chunk is sent back, best first.
  const rows = await tx.execute<{ id: string; document_id: string; score: number }>(sql`
    select * from (
      select distinct on (c.document_id) c.id, c.document_id, ${dotProduct(vector)} as score
      from unnest(${uuidArray(documentIds)}) as candidate(id)
      cross join lateral (
        select c.id, c.document_id, c.embedding from knowledge.kb_chunks c
        where c.collection_id = any(${ids}) and c.document_id = candidate.id offset 0
      ) c
      ${readOnce(sql`c.embedding`)}
      where cardinality(c.embedding) = ${vector.length}
      order by c.document_id, score desc, c.id
    ) best
    order by score desc, id limit ${limit}`);
  return rows
    .map((r) => ({ id: r.id, documentId: r.document_id, score: Number(r.score) }))
    .filter((hit) => Number.isFinite(hit.score));
}

/**
 * The documents of the searched collections nearest the question by their own embedding, nearest
 * first: what the leg compares when the text leg found no candidate.
 */
async function nearestDocuments(tx: Transaction, options: VectorLegOptions): Promise<string[]> {
  const { pgvector, vector, collectionIds, limit } = options;
  const ids = uuidArray(collectionIds);
  // The dimension is written as a literal: the HNSW index is partial on it, and a generic plan
  // (the search's transaction asks for them) cannot prove the index's predicate from a parameter.
  const scan = async (order: SQL, lateral: SQL = sql``) =>
    (
      await tx.execute<{ id: string }>(sql`
        select d.id from knowledge.kb_documents d ${lateral}
        where d.collection_id = any(${ids}) and cardinality(d.embedding) = ${sql.raw(String(vector.length))}
          ${options.filter ?? sql``}
        order by ${order} limit ${limit}`)
    ).map((row) => row.id);
  // Every document compared.
  const exact = () => scan(sql`${dotProduct(vector)} desc, d.id`, readOnce(sql`d.embedding`));
  // The HNSW index is on the embeddings of the built-in embedder's dimension only; without
  // iterative scans, it stops after ef_search documents of the whole table, whoever's.
  if (!pgvector || vector.length !== LOCAL_DIMENSIONS || !pgvector.iterativeScan) return exact();
  // The index's settings go in the same write as the size (they change nothing for an exact scan).
  const [[size]] = await Promise.all([
    tx.execute<{ documents: number }>(
      sql`select count(*)::int as documents from knowledge.kb_documents where collection_id = any(${ids})`,
    ),
    tx.execute(
      sql`select set_config('hnsw.ef_search', ${String(Math.min(1000, Math.max(HNSW_EF_SEARCH, limit)))}, true),
                 set_config('hnsw.iterative_scan', 'strict_order', true)`,
    ),
  ]);
  if (size!.documents <= (options.exactScanDocuments ?? EXACT_SCAN_DOCUMENTS)) return exact();
  const viaIndex = await scan(hnswOrder(pgvector, vector));
  // The iterative scan gives up after hnsw.max_scan_tuples: a collection that is a small share of
  // a large table may come back short, and is then compared document by document. (Documents
  // without chunks, or of stop words only, are counted and never in the index: the exact scan
  // answers such collections the same.)
  if (viaIndex.length < Math.min(limit, size!.documents)) return exact();
  return viaIndex;
}

/**
 * A stored embedding read once into `v.e`, uncompressed, for dotProduct: a subscript of the stored
 * value decompresses the whole array again (rows over 2 kB are stored compressed), and a query of
 * the built-in embedder asks for 20-40 of its elements (2.5x the time of reading it once).
 */
const readOnce = (embedding: SQL) =>
  sql`cross join lateral (select array_cat(${embedding}, '{}'::real[]) as e offset 0) v`;

/** Above this many non-zero dimensions, the query is dense: unnest both arrays instead. */
const SPARSE_LIMIT = 96;

/**
 * The dot product of an embedding read into `v.e` by readOnce (a chunk's or a document's) with the
 * query vector. A sparse query (the built-in embedder's: a few dozen words hashed into 256 dimensions)
 * only needs the stored values at its non-zero dimensions, read by subscript, which is several
 * times faster than unnesting all 256 per row; a dense one (remote embedders) goes through
 * knowledge.dot_product. Both are exact.
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
