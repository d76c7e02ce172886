-- Search over a shared database (issue 17): the text leg reads a word's postings and nothing else.
--
-- BM25F divides a posting's term frequencies by its document's field lengths, which the text leg
-- read by joining the postings to their documents. The planner plans that join well only for a
-- collection it knows: one indexed since the tables were last analyzed is estimated at one row,
-- and the join became a nested loop reading all of the collection's documents for each posting
-- (3.5 s for a question over a copy of the manual pages; docs/benchmarks.md). A posting now
-- carries its document's three lengths, written in the statement that writes the postings and the
-- document's lengths (store-documents.ts), and the key's index holds them, so a question's
-- postings come from the index alone, word by word. Only documents with chunks have postings: the
-- others were never searched (the join asked for chunk_count > 0).
ALTER TABLE "knowledge"."kb_terms" ADD COLUMN "name_terms" integer DEFAULT 0 NOT NULL,
  ADD COLUMN "lead_terms" integer DEFAULT 0 NOT NULL, ADD COLUMN "body_terms" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- The tables force row-level security on their owner too: the migration acts as platform admin.
select set_config('app.platform_admin', 'true', true);--> statement-breakpoint
DELETE FROM "knowledge"."kb_terms" t USING "knowledge"."kb_documents" d
  WHERE d."id" = t."document_id" AND d."chunk_count" = 0;--> statement-breakpoint
UPDATE "knowledge"."kb_terms" t
  SET "name_terms" = d."name_terms", "lead_terms" = d."lead_terms", "body_terms" = d."body_terms"
  FROM "knowledge"."kb_documents" d WHERE d."id" = t."document_id";--> statement-breakpoint
-- Every writer names the lengths: a posting without them would rank as if its document were empty.
ALTER TABLE "knowledge"."kb_terms" ALTER COLUMN "name_terms" DROP DEFAULT, ALTER COLUMN "lead_terms" DROP DEFAULT,
  ALTER COLUMN "body_terms" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "knowledge"."kb_terms" DROP CONSTRAINT "kb_terms_collection_id_lexeme_document_id_pk";--> statement-breakpoint
ALTER TABLE "knowledge"."kb_terms" ADD CONSTRAINT "kb_terms_collection_id_lexeme_document_id_pk"
  PRIMARY KEY ("collection_id", "lexeme", "document_id")
  INCLUDE ("name_tf", "lead_tf", "body_tf", "name_terms", "lead_terms", "body_terms");
