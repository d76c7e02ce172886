CREATE SCHEMA IF NOT EXISTS "analytics";
--> statement-breakpoint
CREATE TABLE "analytics"."event_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "analytics"."failed_jobs" (
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
CREATE TABLE "analytics"."outbox" (
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
CREATE TABLE "analytics"."processed_events" (
	"consumer" text NOT NULL,
	"event_id" uuid NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "processed_events_consumer_event_id_pk" PRIMARY KEY("consumer","event_id")
);
--> statement-breakpoint
CREATE TABLE "analytics"."rollups" (
	"metric" text NOT NULL,
	"organization_id" uuid DEFAULT '00000000-0000-0000-0000-000000000000' NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"user_id" uuid DEFAULT '00000000-0000-0000-0000-000000000000' NOT NULL,
	"team_id" uuid DEFAULT '00000000-0000-0000-0000-000000000000' NOT NULL,
	"dimension" text DEFAULT '' NOT NULL,
	"dimension_id" uuid DEFAULT '00000000-0000-0000-0000-000000000000' NOT NULL,
	"value" bigint NOT NULL,
	CONSTRAINT "rollups_metric_organization_id_bucket_user_id_team_id_dimension_dimension_id_pk" PRIMARY KEY("metric","organization_id","bucket","user_id","team_id","dimension","dimension_id")
);
--> statement-breakpoint
CREATE TABLE "analytics"."user_analytics" (
	"id" uuid NOT NULL,
	"event_type" text NOT NULL,
	"source" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"organization_id" uuid,
	"user_id" uuid,
	"team_id" uuid,
	"bot_id" uuid,
	"session_id" uuid,
	"workflow_id" uuid,
	"collection_id" uuid,
	"account_id" uuid,
	"metrics" jsonb NOT NULL,
	"event_data" jsonb NOT NULL,
	"clock_skewed" boolean DEFAULT false NOT NULL,
	CONSTRAINT "user_analytics_occurred_at_id_pk" PRIMARY KEY("occurred_at","id")
) PARTITION BY RANGE ("occurred_at");
--> statement-breakpoint
CREATE INDEX "event_keys_occurred_at_idx" ON "analytics"."event_keys" USING btree ("occurred_at");--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "analytics"."outbox" USING btree ("created_at") WHERE "analytics"."outbox"."published_at" is null;--> statement-breakpoint
CREATE INDEX "rollups_user_idx" ON "analytics"."rollups" USING btree ("user_id","metric","bucket");--> statement-breakpoint
CREATE INDEX "rollups_team_idx" ON "analytics"."rollups" USING btree ("team_id","metric","bucket") WHERE "analytics"."rollups"."team_id" <> '00000000-0000-0000-0000-000000000000'::uuid;--> statement-breakpoint
CREATE INDEX "rollups_bucket_idx" ON "analytics"."rollups" USING btree ("bucket");--> statement-breakpoint
CREATE INDEX "user_analytics_user_idx" ON "analytics"."user_analytics" USING btree ("user_id","occurred_at");--> statement-breakpoint
CREATE INDEX "user_analytics_team_idx" ON "analytics"."user_analytics" USING btree ("team_id","occurred_at");--> statement-breakpoint
CREATE INDEX "user_analytics_org_idx" ON "analytics"."user_analytics" USING btree ("organization_id","occurred_at");