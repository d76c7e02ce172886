-- Search over a shared database (issue 17): what the text leg and the vector leg read per question.
--
-- A word's postings are read by the primary key's (collection_id, lexeme) prefix, and each one
-- then fetched its row from the table for its term frequencies: rows are stored in the order
-- documents were indexed, so a common word's 4,000 postings were 4,000 pages. With the
-- frequencies in the key's index, the postings come from the index alone (about 50 pages) once
-- vacuum has marked the rows visible (the indexing worker vacuums after a bulk load; refresh-
-- statistics.ts). The documents' lengths that BM25F divides by are read the same way.
ALTER TABLE "knowledge"."kb_terms" DROP CONSTRAINT "kb_terms_collection_id_lexeme_document_id_pk";--> statement-breakpoint
ALTER TABLE "knowledge"."kb_terms" ADD CONSTRAINT "kb_terms_collection_id_lexeme_document_id_pk"
  PRIMARY KEY ("collection_id", "lexeme", "document_id") INCLUDE ("name_tf", "lead_tf", "body_tf");--> statement-breakpoint
CREATE INDEX "kb_documents_collection_lengths_idx" ON "knowledge"."kb_documents" ("collection_id", "id")
  INCLUDE ("chunk_count", "name_terms", "lead_terms", "body_terms");--> statement-breakpoint
-- The vector leg reads a few dozen elements of each candidate chunk's embedding by subscript, and
-- every subscript of a compressed array decompressed the whole array again (pglz: 2.7 times the
-- scan of the same chunks stored plain). A unit vector of 256 floats hardly compresses (1,048 ->
-- about 880 bytes), so embeddings are now stored as they are. Rows written before keep their
-- compressed values until their document is indexed again.
ALTER TABLE "knowledge"."kb_chunks" ALTER COLUMN "embedding" SET STORAGE PLAIN;
