-- Chunks and postings each had two foreign keys: to their document (collection_id, document_id)
-- and to their collection. The first implies the second (a document's own key holds its
-- collection, and a collection's deletion reaches documents, then their chunks and postings, by
-- cascade), but each was checked on every inserted row: about 19 postings per chunk, so a third of
-- what storing the postings cost the database while indexing. The document's key stays.
ALTER TABLE "knowledge"."kb_chunks" DROP CONSTRAINT IF EXISTS "kb_chunks_collection_id_kb_collections_id_fk";
--> statement-breakpoint
ALTER TABLE "knowledge"."kb_terms" DROP CONSTRAINT IF EXISTS "kb_terms_collection_id_kb_collections_id_fk";
