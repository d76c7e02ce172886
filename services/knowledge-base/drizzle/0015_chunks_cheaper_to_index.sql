-- Indexing (issue 17, point 4): what the database does for each chunk that no search reads.
--
-- A profile of Postgres while the worker indexed the manual pages put 62% of its time in the HNSW
-- index's inserts, 12% in ANALYZE (the worker's refresh after a bulk load) and 1.5% in the GIN
-- index of the chunks' tsvectors.
--
-- 1. The GIN index of kb_chunks.tsv: search ranks documents from the postings (kb_terms) and reads
--    a ranked document's chunks by its key; no search asks it. Gone.
DROP INDEX IF EXISTS "knowledge"."kb_chunks_tsv_idx";--> statement-breakpoint
-- 2. ANALYZE spent most of its time on the chunks' wide columns: the embedding's 256 floats per
--    sampled row each went through the array statistics' hash table. No plan uses statistics of
--    those columns (chunks are read by collection and document), so none are gathered: by the
--    worker's refresh nor by autovacuum.
ALTER TABLE "knowledge"."kb_chunks"
  ALTER COLUMN "content" SET STATISTICS 0,
  ALTER COLUMN "heading_path" SET STATISTICS 0,
  ALTER COLUMN "tsv" SET STATISTICS 0,
  ALTER COLUMN "embedding" SET STATISTICS 0;--> statement-breakpoint
-- 3. The HNSW index serves only the vector leg's questions that share no word with any document
--    (vector-leg.ts): every other question compares its candidates' chunks exactly. An insert
--    costs in proportion to the graph's links (m) and to how widely it searches for them
--    (ef_construction), and reads each element it compares: m = 8 and ef_construction = 32, and
--    elements stored at half precision (halfvec, pgvector 0.7+; a vector(256) is 1 kB, which put
--    a four-tenant index of the manual pages past shared_buffers), took 0.20 ms an insert against
--    0.59-0.65 ms for pgvector's defaults on vector(256) (40,000 chunks of the manual pages, psql). Recall of the 20 nearest: 0.94 at the
--    ef_search the leg now asks for (120), against 0.97 at pgvector's defaults. The leg ranks by
--    the full-precision distance of what the index found.
do $$
declare
  extension_schema name;
begin
  select n.nspname into extension_schema
    from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'vector';
  if extension_schema is null or not exists (
    select 1 from pg_indexes where schemaname = 'knowledge' and indexname = 'kb_chunks_embedding_hnsw_256'
  ) then
    return;
  end if;
  execute 'alter table knowledge.kb_chunks alter column embedding_vector set statistics 0';
  execute 'drop index knowledge.kb_chunks_embedding_hnsw_256';
  if exists (select 1 from pg_type where typname = 'halfvec' and typnamespace = extension_schema::regnamespace) then
    execute format(
      'create index kb_chunks_embedding_hnsw_256 on knowledge.kb_chunks
         using hnsw ((embedding_vector::%1$I.halfvec(256)) %1$I.halfvec_cosine_ops) with (m = 8, ef_construction = 32)
         where %1$I.vector_dims(embedding_vector) = 256', extension_schema);
  else
    execute format(
      'create index kb_chunks_embedding_hnsw_256 on knowledge.kb_chunks
         using hnsw ((embedding_vector::%1$I.vector(256)) %1$I.vector_cosine_ops) with (m = 8, ef_construction = 32)
         where %1$I.vector_dims(embedding_vector) = 256', extension_schema);
  end if;
end $$;
