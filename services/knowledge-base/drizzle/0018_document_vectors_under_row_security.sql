-- Migration 0017 gave documents indexed before it their embedding without app.platform_admin (0005,
-- 0007, 0010 and 0014 set it for their back-fills). Where the tables' owner is not a superuser,
-- their forced row-level security showed that statement no document, and those documents stayed
-- out of the vector leg until re-indexed. This fills, for every owner, each document that has
-- embedded chunks and no embedding yet: the unit mean of its chunks' embeddings, as 0017 and the
-- indexer compute it (documentEmbedding in store-documents.ts). Where 0017 saw every document, it
-- finds none.
select set_config('app.platform_admin', 'true', true);--> statement-breakpoint
UPDATE "knowledge"."kb_documents" d SET embedding = (
  SELECT array_agg(CASE WHEN s.norm > 0 THEN (s.total / s.norm)::real ELSE 0::real END ORDER BY s.i)
  FROM (
    SELECT e.i, sum(e.x::float8) AS total, sqrt(sum(sum(e.x::float8) ^ 2) OVER ()) AS norm
    FROM "knowledge"."kb_chunks" c CROSS JOIN LATERAL unnest(c.embedding) WITH ORDINALITY AS e(x, i)
    WHERE c.document_id = d.id
    GROUP BY e.i
  ) s
)
WHERE d.embedding IS NULL
  AND EXISTS (
    SELECT 1 FROM "knowledge"."kb_chunks" c WHERE c.document_id = d.id AND cardinality(c.embedding) > 0
  );
