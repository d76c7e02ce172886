CREATE SCHEMA IF NOT EXISTS "email";
--> statement-breakpoint
CREATE TABLE "email"."email_drafts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid,
	"user_id" uuid NOT NULL,
	"team_id" uuid,
	"account_id" uuid NOT NULL,
	"to_addresses" text[] DEFAULT '{}'::text[] NOT NULL,
	"cc_addresses" text[] DEFAULT '{}'::text[] NOT NULL,
	"bcc_addresses" text[] DEFAULT '{}'::text[] NOT NULL,
	"subject" text DEFAULT '' NOT NULL,
	"body" text DEFAULT '' NOT NULL,
	"html_body" text,
	"attachments" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"in_reply_to_message_id" uuid,
	"in_reply_to" text,
	"references" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "email"."email_folders" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"name" text NOT NULL,
	"path" text NOT NULL,
	"delimiter" text,
	"parent_id" uuid,
	"special_use" text,
	"message_count" integer DEFAULT 0 NOT NULL,
	"unread_count" integer DEFAULT 0 NOT NULL,
	"uidvalidity" bigint,
	"uidnext" bigint,
	"highestmodseq" bigint,
	"first_sync_below" bigint,
	"first_sync_done" boolean DEFAULT false NOT NULL,
	"first_sync_total" integer DEFAULT 0 NOT NULL,
	"first_sync_fetched" integer DEFAULT 0 NOT NULL,
	"last_full_check_at" timestamp with time zone,
	"last_sync_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_folders_account_path_key" UNIQUE("account_id","path")
);
--> statement-breakpoint
CREATE TABLE "email"."email_messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"folder_id" uuid NOT NULL,
	"uidvalidity" bigint NOT NULL,
	"uid" bigint NOT NULL,
	"modseq" bigint,
	"message_id" text,
	"in_reply_to" text,
	"references" text[] DEFAULT '{}'::text[] NOT NULL,
	"thread_id" text,
	"from_address" jsonb,
	"to_addresses" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"cc_addresses" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"bcc_addresses" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"reply_to" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"subject" text,
	"sent_at" timestamp with time zone,
	"received_at" timestamp with time zone NOT NULL,
	"flags" text[] DEFAULT '{}'::text[] NOT NULL,
	"size" integer DEFAULT 0 NOT NULL,
	"snippet" text,
	"text_body" text,
	"html_body" text,
	"attachments" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"body_truncated" boolean DEFAULT false NOT NULL,
	"parse_error" text,
	"search" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', left(coalesce("email"."email_messages"."subject", '') || ' ' || coalesce("email"."email_messages"."from_address"::text, '') || ' ' || coalesce("email"."email_messages"."to_addresses"::text, '') || ' ' || coalesce("email"."email_messages"."cc_addresses"::text, '') || ' ' || coalesce("email"."email_messages"."text_body", ''), 200000))) STORED,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_messages_folder_uid_key" UNIQUE("account_id","folder_id","uidvalidity","uid")
);
--> statement-breakpoint
CREATE TABLE "email"."email_outbound" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid,
	"user_id" uuid NOT NULL,
	"team_id" uuid,
	"account_id" uuid,
	"draft_id" uuid,
	"template_id" uuid,
	"source" text NOT NULL,
	"idempotency_key" text,
	"message_id" text NOT NULL,
	"from_address" text NOT NULL,
	"to_addresses" text[] DEFAULT '{}'::text[] NOT NULL,
	"cc_addresses" text[] DEFAULT '{}'::text[] NOT NULL,
	"bcc_addresses" text[] DEFAULT '{}'::text[] NOT NULL,
	"subject" text DEFAULT '' NOT NULL,
	"in_reply_to" text,
	"references" text[] DEFAULT '{}'::text[] NOT NULL,
	"raw" text,
	"status" text DEFAULT 'queued' NOT NULL,
	"send_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"sent_at" timestamp with time zone,
	"appended_to_sent" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "email"."email_templates" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid,
	"user_id" uuid,
	"team_id" uuid,
	"key" text,
	"name" text NOT NULL,
	"subject" text NOT NULL,
	"html_body" text,
	"text_body" text,
	"sample_values" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "email"."failed_jobs" (
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
CREATE TABLE "email"."outbox" (
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
CREATE TABLE "email"."processed_events" (
	"consumer" text NOT NULL,
	"event_id" uuid NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "processed_events_consumer_event_id_pk" PRIMARY KEY("consumer","event_id")
);
--> statement-breakpoint
CREATE TABLE "email"."user_email_accounts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid,
	"user_id" uuid NOT NULL,
	"team_id" uuid,
	"bot_id" uuid,
	"email_address" text NOT NULL,
	"display_name" text,
	"imap_server" text NOT NULL,
	"imap_port" integer NOT NULL,
	"imap_security" text DEFAULT 'tls' NOT NULL,
	"smtp_server" text NOT NULL,
	"smtp_port" integer NOT NULL,
	"smtp_security" text DEFAULT 'tls' NOT NULL,
	"username" text NOT NULL,
	"encrypted_password" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"sync_state" text DEFAULT 'connecting' NOT NULL,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"last_sync_at" timestamp with time zone,
	"connect_failures" integer DEFAULT 0 NOT NULL,
	"retry_after" timestamp with time zone,
	"config_version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "email"."email_drafts" ADD CONSTRAINT "email_drafts_account_id_user_email_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "email"."user_email_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email"."email_drafts" ADD CONSTRAINT "email_drafts_in_reply_to_message_id_email_messages_id_fk" FOREIGN KEY ("in_reply_to_message_id") REFERENCES "email"."email_messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email"."email_folders" ADD CONSTRAINT "email_folders_account_id_user_email_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "email"."user_email_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email"."email_folders" ADD CONSTRAINT "email_folders_parent_id_email_folders_id_fk" FOREIGN KEY ("parent_id") REFERENCES "email"."email_folders"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email"."email_messages" ADD CONSTRAINT "email_messages_account_id_user_email_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "email"."user_email_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email"."email_messages" ADD CONSTRAINT "email_messages_folder_id_email_folders_id_fk" FOREIGN KEY ("folder_id") REFERENCES "email"."email_folders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email"."email_outbound" ADD CONSTRAINT "email_outbound_account_id_user_email_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "email"."user_email_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email"."email_outbound" ADD CONSTRAINT "email_outbound_draft_id_email_drafts_id_fk" FOREIGN KEY ("draft_id") REFERENCES "email"."email_drafts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email"."email_outbound" ADD CONSTRAINT "email_outbound_template_id_email_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "email"."email_templates"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "email_drafts_user_idx" ON "email"."email_drafts" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "email_drafts_account_idx" ON "email"."email_drafts" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "email_messages_folder_received_idx" ON "email"."email_messages" USING btree ("folder_id","received_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "email_messages_account_thread_idx" ON "email"."email_messages" USING btree ("account_id","thread_id");--> statement-breakpoint
CREATE INDEX "email_messages_account_message_id_idx" ON "email"."email_messages" USING btree ("account_id","message_id");--> statement-breakpoint
CREATE INDEX "email_messages_search_idx" ON "email"."email_messages" USING gin ("search");--> statement-breakpoint
CREATE UNIQUE INDEX "email_outbound_idempotency_idx" ON "email"."email_outbound" USING btree ("user_id","idempotency_key") WHERE "email"."email_outbound"."idempotency_key" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "email_outbound_message_id_idx" ON "email"."email_outbound" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "email_outbound_due_idx" ON "email"."email_outbound" USING btree ("status","send_at");--> statement-breakpoint
CREATE INDEX "email_outbound_user_idx" ON "email"."email_outbound" USING btree ("user_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "email_templates_key_idx" ON "email"."email_templates" USING btree ("key") WHERE "email"."email_templates"."key" is not null;--> statement-breakpoint
CREATE INDEX "email_templates_user_idx" ON "email"."email_templates" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "email"."outbox" USING btree ("created_at") WHERE "email"."outbox"."published_at" is null;--> statement-breakpoint
CREATE INDEX "user_email_accounts_user_idx" ON "email"."user_email_accounts" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "user_email_accounts_team_idx" ON "email"."user_email_accounts" USING btree ("team_id");