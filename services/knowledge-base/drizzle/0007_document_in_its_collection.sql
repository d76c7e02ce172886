-- A chunk, posting or original names its document together with the collection it is in, so no
-- row can pair one collection with another collection's document (row-level security checks the
-- collection). The unique key the foreign keys reference comes first.
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