-- Indexing (issue 17, point 4): the vector index moves from chunks to documents.
--
-- Every chunk went into pgvector's HNSW index (migration 0002, rebuilt by 0015) through a trigger
-- that copied its embedding into a second column: 0.41 ms of the database's 0.90 ms per chunk
-- when the worker drains a backlog of the manual pages (38,075 chunks), 45% of it. The index
-- served only questions that share no word with any document; every other question compares its
-- candidate documents' chunks exactly (vector-leg.ts).
--
-- Such a question now finds its nearest documents first, by each document's embedding: the unit
-- mean of its chunks' (the direction of their sum; a dot product with it is the mean of the
-- question's dot products with the chunks, up to one factor per document), then compares those
-- documents' chunks exactly, as it does for the text leg's candidates. One index entry per
-- document (eleven chunks each in the manual pages), in a graph as sparse as the chunks' was
-- (m = 8, ef_construction = 32, see 0015): at pgvector's defaults (16, 64) the documents' inserts
-- still took 15% of the database's indexing time.
ALTER TABLE "knowledge"."kb_documents" ADD COLUMN "embedding" real[];--> statement-breakpoint
ALTER TABLE "knowledge"."kb_documents" ALTER COLUMN "embedding" SET STATISTICS 0;--> statement-breakpoint
-- Documents indexed before this migration: the sum of their chunks' embeddings, at unit length
-- (the indexer writes the same from Node: documentEmbedding in store-documents.ts). It reads every
-- chunk once: 30 s for 152,300 chunks of 14,184 documents here.
WITH "sums" AS MATERIALIZED (
  SELECT c.document_id, e.i, sum(e.x::float8) AS total
  FROM "knowledge"."kb_chunks" c CROSS JOIN LATERAL unnest(c.embedding) WITH ORDINALITY AS e(x, i)
  GROUP BY c.document_id, e.i
), "norms" AS (
  SELECT document_id, sqrt(sum(total * total)) AS norm FROM "sums" GROUP BY document_id
)
UPDATE "knowledge"."kb_documents" d SET embedding = v.embedding
FROM (
  SELECT s.document_id,
         array_agg(CASE WHEN n.norm > 0 THEN (s.total / n.norm)::real ELSE 0::real END ORDER BY s.i) AS embedding
  FROM "sums" s JOIN "norms" n USING (document_id)
  GROUP BY s.document_id
) v
WHERE d.id = v.document_id;--> statement-breakpoint
do $$
declare
  extension_schema name := (
    select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'vector');
  -- At half precision where pgvector has it (0.7+).
  index_type text := case when exists (
    select 1 from pg_type t join pg_extension e on e.extnamespace = t.typnamespace
    where e.extname = 'vector' and t.typname = 'halfvec') then 'halfvec' else 'vector' end;
begin
  if extension_schema is null then
    return;
  end if;
  -- The chunks' copy of their embedding as pgvector's type, its trigger and its index (dropped
  -- with the column).
  execute 'drop trigger if exists kb_chunks_fill_vector on knowledge.kb_chunks';
  execute 'drop function if exists knowledge.kb_chunks_fill_vector()';
  execute 'alter table knowledge.kb_chunks drop column if exists embedding_vector';
  -- The documents' index is on their real[] embedding cast to pgvector's type: no second column to
  -- store and keep in step.
  execute format(
    'create index kb_documents_embedding_hnsw_256 on knowledge.kb_documents
       using hnsw ((embedding::%1$I.%2$s(256)) %1$I.%2$s_cosine_ops) with (m = 8, ef_construction = 32)
       where cardinality(embedding) = 256', extension_schema, index_type);
  -- ANALYZE would gather statistics of the expression (a sample of 30,000 casts); no plan uses them.
  execute 'alter index knowledge.kb_documents_embedding_hnsw_256 alter column 1 set statistics 0';
end $$;
