CREATE TABLE "knowledge"."kb_terms" (
	"collection_id" uuid NOT NULL,
	"lexeme" text NOT NULL,
	"document_id" uuid NOT NULL,
	"name_tf" smallint NOT NULL,
	"lead_tf" smallint NOT NULL,
	"body_tf" smallint NOT NULL,
	CONSTRAINT "kb_terms_collection_id_lexeme_document_id_pk" PRIMARY KEY("collection_id","lexeme","document_id")
);
--> statement-breakpoint
ALTER TABLE "knowledge"."kb_documents" ADD COLUMN "name_terms" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "knowledge"."kb_documents" ADD COLUMN "lead_terms" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "knowledge"."kb_documents" ADD COLUMN "body_terms" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "knowledge"."kb_terms" ADD CONSTRAINT "kb_terms_collection_id_kb_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "knowledge"."kb_collections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge"."kb_terms" ADD CONSTRAINT "kb_terms_document_id_kb_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "knowledge"."kb_documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "kb_terms_document_idx" ON "knowledge"."kb_terms" USING btree ("document_id");