-- A chunk, posting or original names its document together with the collection it is in, so no
-- row can pair one collection with another collection's document (row-level security checks the
-- collection). The unique key the foreign keys reference comes first. The service never wrote
-- such a pair; a row that does anyway (written by hand) belongs to no document of its collection,
-- and is removed rather than let the migration fail (as platform admin: the tables force
-- row-level security on their owner too).
select set_config('app.platform_admin', 'true', true);--> statement-breakpoint
DELETE FROM "knowledge"."kb_chunks" c USING "knowledge"."kb_documents" d
  WHERE d."id" = c."document_id" AND d."collection_id" <> c."collection_id";--> statement-breakpoint
DELETE FROM "knowledge"."kb_terms" t USING "knowledge"."kb_documents" d
  WHERE d."id" = t."document_id" AND d."collection_id" <> t."collection_id";--> statement-breakpoint
DELETE FROM "knowledge"."kb_document_originals" o USING "knowledge"."kb_documents" d
  WHERE d."id" = o."document_id" AND d."collection_id" <> o."collection_id";--> statement-breakpoint
ALTER TABLE "knowledge"."kb_chunks" DROP CONSTRAINT "kb_chunks_document_id_kb_documents_id_fk";
--> statement-breakpoint
ALTER TABLE "knowledge"."kb_document_originals" DROP CONSTRAINT "kb_document_originals_document_id_kb_documents_id_fk";
--> statement-breakpoint
ALTER TABLE "knowledge"."kb_terms" DROP CONSTRAINT "kb_terms_document_id_kb_documents_id_fk";
--> statement-breakpoint
DROP INDEX "knowledge"."kb_documents_collection_idx";--> statement-breakpoint
ALTER TABLE "knowledge"."kb_documents" ADD CONSTRAINT "kb_documents_collection_id_key" UNIQUE("collection_id","id");--> statement-breakpoint
ALTER TABLE "knowledge"."kb_chunks" ADD CONSTRAINT "kb_chunks_document_fk" FOREIGN KEY ("collection_id","document_id") REFERENCES "knowledge"."kb_documents"("collection_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge"."kb_document_originals" ADD CONSTRAINT "kb_document_originals_document_fk" FOREIGN KEY ("collection_id","document_id") REFERENCES "knowledge"."kb_documents"("collection_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge"."kb_terms" ADD CONSTRAINT "kb_terms_document_fk" FOREIGN KEY ("collection_id","document_id") REFERENCES "knowledge"."kb_documents"("collection_id","id") ON DELETE cascade ON UPDATE no action;