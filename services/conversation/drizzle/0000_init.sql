CREATE SCHEMA IF NOT EXISTS "conversation";
--> statement-breakpoint
CREATE TABLE "conversation"."ai_models" (
	"id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid,
	"provider_id" uuid,
	"name" text NOT NULL,
	"type" text DEFAULT 'chat' NOT NULL,
	"config_schema" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversation"."basic_tools" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bot_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"parameters" jsonb NOT NULL,
	"script" text NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversation"."bot_configuration" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bot_id" uuid NOT NULL,
	"key" text NOT NULL,
	"value" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversation"."bot_memories" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bot_id" uuid NOT NULL,
	"key" text NOT NULL,
	"value" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversation"."bots" (
	"id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid,
	"owner_user_id" uuid NOT NULL,
	"team_id" uuid,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"visibility" text DEFAULT 'private' NOT NULL,
	"script" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversation"."clicks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"session_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"element_id" text NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"timestamp" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversation"."failed_jobs" (
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
CREATE TABLE "conversation"."message_history" (
	"id" uuid PRIMARY KEY NOT NULL,
	"session_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"bot_id" uuid NOT NULL,
	"sender" text NOT NULL,
	"content" text NOT NULL,
	"tokens_in" integer DEFAULT 0 NOT NULL,
	"tokens_out" integer DEFAULT 0 NOT NULL,
	"model" text,
	"latency_ms" integer,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"search_vector" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversation"."outbox" (
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
CREATE TABLE "conversation"."processed_events" (
	"consumer" text NOT NULL,
	"event_id" uuid NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "processed_events_consumer_event_id_pk" PRIMARY KEY("consumer","event_id")
);
--> statement-breakpoint
CREATE TABLE "conversation"."prompts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid,
	"owner_user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"content" text NOT NULL,
	"variables" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversation"."providers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid,
	"owner_user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"kind" text DEFAULT 'openai-compatible' NOT NULL,
	"base_url" text NOT NULL,
	"api_key_sealed" text,
	"key_version" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversation"."session_tool_associations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"session_id" uuid NOT NULL,
	"tool_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversation"."sessions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"bot_id" uuid NOT NULL,
	"org_id" uuid,
	"channel" text DEFAULT 'api' NOT NULL,
	"title" text,
	"context" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_activity_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversation"."user_memories" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"key" text NOT NULL,
	"value" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversation"."user_preferences" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"model_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "conversation"."ai_models" ADD CONSTRAINT "ai_models_provider_id_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "conversation"."providers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation"."basic_tools" ADD CONSTRAINT "basic_tools_bot_id_bots_id_fk" FOREIGN KEY ("bot_id") REFERENCES "conversation"."bots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation"."bot_configuration" ADD CONSTRAINT "bot_configuration_bot_id_bots_id_fk" FOREIGN KEY ("bot_id") REFERENCES "conversation"."bots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation"."bot_memories" ADD CONSTRAINT "bot_memories_bot_id_bots_id_fk" FOREIGN KEY ("bot_id") REFERENCES "conversation"."bots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation"."clicks" ADD CONSTRAINT "clicks_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "conversation"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation"."message_history" ADD CONSTRAINT "message_history_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "conversation"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation"."session_tool_associations" ADD CONSTRAINT "session_tool_associations_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "conversation"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation"."session_tool_associations" ADD CONSTRAINT "session_tool_associations_tool_id_basic_tools_id_fk" FOREIGN KEY ("tool_id") REFERENCES "conversation"."basic_tools"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation"."sessions" ADD CONSTRAINT "sessions_bot_id_bots_id_fk" FOREIGN KEY ("bot_id") REFERENCES "conversation"."bots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation"."user_preferences" ADD CONSTRAINT "user_preferences_model_id_ai_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "conversation"."ai_models"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ai_models_org_idx" ON "conversation"."ai_models" USING btree ("org_id");--> statement-breakpoint
CREATE UNIQUE INDEX "basic_tools_bot_name" ON "conversation"."basic_tools" USING btree ("bot_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "bot_configuration_bot_key" ON "conversation"."bot_configuration" USING btree ("bot_id","key");--> statement-breakpoint
CREATE UNIQUE INDEX "bot_memories_bot_key" ON "conversation"."bot_memories" USING btree ("bot_id","key");--> statement-breakpoint
CREATE INDEX "bots_owner_idx" ON "conversation"."bots" USING btree ("owner_user_id");--> statement-breakpoint
CREATE INDEX "bots_team_idx" ON "conversation"."bots" USING btree ("team_id");--> statement-breakpoint
CREATE INDEX "bots_org_idx" ON "conversation"."bots" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "clicks_session_idx" ON "conversation"."clicks" USING btree ("session_id","timestamp");--> statement-breakpoint
CREATE INDEX "message_history_session_idx" ON "conversation"."message_history" USING btree ("session_id","created_at","id");--> statement-breakpoint
CREATE INDEX "message_history_user_idx" ON "conversation"."message_history" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "message_history_search_idx" ON "conversation"."message_history" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "conversation"."outbox" USING btree ("created_at") WHERE "conversation"."outbox"."published_at" is null;--> statement-breakpoint
CREATE INDEX "prompts_org_idx" ON "conversation"."prompts" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "providers_org_idx" ON "conversation"."providers" USING btree ("org_id");--> statement-breakpoint
CREATE UNIQUE INDEX "session_tool_associations_key" ON "conversation"."session_tool_associations" USING btree ("session_id","tool_id");--> statement-breakpoint
CREATE INDEX "sessions_user_idx" ON "conversation"."sessions" USING btree ("user_id","last_activity_at");--> statement-breakpoint
CREATE INDEX "sessions_bot_idx" ON "conversation"."sessions" USING btree ("bot_id");--> statement-breakpoint
CREATE UNIQUE INDEX "user_memories_user_key" ON "conversation"."user_memories" USING btree ("user_id","key");