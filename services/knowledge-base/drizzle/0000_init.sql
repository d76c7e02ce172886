CREATE SCHEMA IF NOT EXISTS "knowledge";
--> statement-breakpoint
CREATE TABLE "knowledge"."datasources" (
	"id" uuid PRIMARY KEY NOT NULL,
	"collection_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"url" text,
	"schedule" text,
	"last_fetched_at" timestamp with time zone,
	"last_error" text,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "knowledge"."failed_jobs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"queue" text NOT NULL,
	"job_name" text NOT NULL,
	"job_id" text,
	"payload" jsonb NOT NULL,
	"error" text NOT NULL,
	"attempts" integer NOT NULL,
	"failed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "knowledge"."kb_chunks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"collection_id" uuid NOT NULL,
	"document_id" uuid NOT NULL,
	"ordinal" integer NOT NULL,
	"content" text NOT NULL,
	"heading_path" text[] DEFAULT '{}'::text[] NOT NULL,
	"char_start" integer NOT NULL,
	"char_end" integer NOT NULL,
	"token_count" integer NOT NULL,
	"tsv" "tsvector" NOT NULL,
	"embedding" real[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "knowledge"."kb_collections" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid,
	"owner_user_id" uuid NOT NULL,
	"team_id" uuid,
	"visibility" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "kb_collections_visibility_team" CHECK (("knowledge"."kb_collections"."visibility" = 'team') = ("knowledge"."kb_collections"."team_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "knowledge"."kb_document_originals" (
	"document_id" uuid PRIMARY KEY NOT NULL,
	"collection_id" uuid NOT NULL,
	"content" "bytea" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "knowledge"."kb_documents" (
	"id" uuid PRIMARY KEY NOT NULL,
	"collection_id" uuid NOT NULL,
	"datasource_id" uuid,
	"name" text NOT NULL,
	"media_type" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"content_hash" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"error" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"revision" integer DEFAULT 1 NOT NULL,
	"chunk_count" integer DEFAULT 0 NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_by" uuid NOT NULL,
	"indexed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "knowledge"."knowledge_base_settings" (
	"collection_id" uuid PRIMARY KEY NOT NULL,
	"chunk_size" integer DEFAULT 500 NOT NULL,
	"chunk_overlap" integer DEFAULT 60 NOT NULL,
	"text_search_language" text DEFAULT 'english' NOT NULL,
	"embedding_provider" text DEFAULT 'local' NOT NULL,
	"embedding_model" text DEFAULT 'local-hash-256' NOT NULL,
	"embedding_base_url" text,
	"embedding_api_key_sealed" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "knowledge"."outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"subject" text NOT NULL,
	"payload" jsonb NOT NULL,
	"traceparent" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text
);
--> statement-breakpoint
CREATE TABLE "knowledge"."processed_events" (
	"consumer" text NOT NULL,
	"event_id" uuid NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "processed_events_consumer_event_id_pk" PRIMARY KEY("consumer","event_id")
);
--> statement-breakpoint
CREATE TABLE "knowledge"."user_kb_associations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"session_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"collection_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "knowledge"."datasources" ADD CONSTRAINT "datasources_collection_id_kb_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "knowledge"."kb_collections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge"."kb_chunks" ADD CONSTRAINT "kb_chunks_collection_id_kb_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "knowledge"."kb_collections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge"."kb_chunks" ADD CONSTRAINT "kb_chunks_document_id_kb_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "knowledge"."kb_documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge"."kb_document_originals" ADD CONSTRAINT "kb_document_originals_document_id_kb_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "knowledge"."kb_documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge"."kb_document_originals" ADD CONSTRAINT "kb_document_originals_collection_id_kb_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "knowledge"."kb_collections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge"."kb_documents" ADD CONSTRAINT "kb_documents_collection_id_kb_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "knowledge"."kb_collections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge"."kb_documents" ADD CONSTRAINT "kb_documents_datasource_id_datasources_id_fk" FOREIGN KEY ("datasource_id") REFERENCES "knowledge"."datasources"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge"."knowledge_base_settings" ADD CONSTRAINT "knowledge_base_settings_collection_id_kb_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "knowledge"."kb_collections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge"."user_kb_associations" ADD CONSTRAINT "user_kb_associations_collection_id_kb_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "knowledge"."kb_collections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "datasources_collection_idx" ON "knowledge"."datasources" USING btree ("collection_id");--> statement-breakpoint
CREATE UNIQUE INDEX "kb_chunks_document_ordinal_key" ON "knowledge"."kb_chunks" USING btree ("document_id","ordinal");--> statement-breakpoint
CREATE INDEX "kb_chunks_collection_idx" ON "knowledge"."kb_chunks" USING btree ("collection_id");--> statement-breakpoint
CREATE INDEX "kb_chunks_tsv_idx" ON "knowledge"."kb_chunks" USING gin ("tsv");--> statement-breakpoint
CREATE INDEX "kb_collections_owner_idx" ON "knowledge"."kb_collections" USING btree ("owner_user_id","id");--> statement-breakpoint
CREATE INDEX "kb_collections_team_idx" ON "knowledge"."kb_collections" USING btree ("team_id");--> statement-breakpoint
CREATE UNIQUE INDEX "kb_documents_collection_hash_key" ON "knowledge"."kb_documents" USING btree ("collection_id","content_hash");--> statement-breakpoint
CREATE INDEX "kb_documents_collection_idx" ON "knowledge"."kb_documents" USING btree ("collection_id","id");--> statement-breakpoint
CREATE INDEX "kb_documents_metadata_idx" ON "knowledge"."kb_documents" USING gin ("metadata");--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "knowledge"."outbox" USING btree ("created_at") WHERE "knowledge"."outbox"."published_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "user_kb_associations_session_collection_key" ON "knowledge"."user_kb_associations" USING btree ("session_id","collection_id");--> statement-breakpoint
CREATE INDEX "user_kb_associations_user_idx" ON "knowledge"."user_kb_associations" USING btree ("user_id","session_id");