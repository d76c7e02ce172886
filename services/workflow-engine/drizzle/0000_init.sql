CREATE SCHEMA IF NOT EXISTS "workflow";
--> statement-breakpoint
CREATE TABLE "workflow"."failed_jobs" (
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
CREATE TABLE "workflow"."node_executions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"execution_id" uuid NOT NULL,
	"node_id" uuid NOT NULL,
	"node_name" text NOT NULL,
	"node_type" text NOT NULL,
	"sequence" integer NOT NULL,
	"status" text NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"input_data" jsonb,
	"output_data" jsonb,
	"error_message" text,
	"exec_time_ms" integer,
	"resume_at" timestamp with time zone,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "node_executions_node_unique" UNIQUE("execution_id","node_id"),
	CONSTRAINT "node_executions_attempt_positive" CHECK ("workflow"."node_executions"."attempt" >= 1)
);
--> statement-breakpoint
CREATE TABLE "workflow"."outbox" (
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
CREATE TABLE "workflow"."processed_events" (
	"consumer" text NOT NULL,
	"event_id" uuid NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "processed_events_consumer_event_id_pk" PRIMARY KEY("consumer","event_id")
);
--> statement-breakpoint
CREATE TABLE "workflow"."workflow_connections" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workflow_id" uuid NOT NULL,
	"source_node_id" uuid NOT NULL,
	"target_node_id" uuid NOT NULL,
	"connection_type" text DEFAULT 'main' NOT NULL,
	"target_input" integer DEFAULT 0 NOT NULL,
	"condition_config" jsonb,
	CONSTRAINT "workflow_connections_unique" UNIQUE("workflow_id","source_node_id","connection_type","target_node_id","target_input")
);
--> statement-breakpoint
CREATE TABLE "workflow"."workflow_executions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workflow_id" uuid NOT NULL,
	"workflow_version" integer NOT NULL,
	"user_id" uuid,
	"status" text DEFAULT 'queued' NOT NULL,
	"trigger_type" text NOT NULL,
	"trigger_node_id" uuid NOT NULL,
	"input_data" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"output_data" jsonb,
	"response_data" jsonb,
	"error_message" text,
	"error_node" text,
	"exec_time_ms" integer,
	"wakeups" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflow"."workflow_nodes" (
	"id" uuid NOT NULL,
	"workflow_id" uuid NOT NULL,
	"node_type" text NOT NULL,
	"name" text NOT NULL,
	"position_x" integer DEFAULT 0 NOT NULL,
	"position_y" integer DEFAULT 0 NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"is_enabled" boolean DEFAULT true NOT NULL,
	"max_tries" integer DEFAULT 1 NOT NULL,
	"wait_between_tries_ms" integer DEFAULT 1000 NOT NULL,
	"on_error" text DEFAULT 'stop' NOT NULL,
	"timeout_ms" integer,
	CONSTRAINT "workflow_nodes_workflow_id_id_pk" PRIMARY KEY("workflow_id","id"),
	CONSTRAINT "workflow_nodes_name_unique" UNIQUE("workflow_id","name")
);
--> statement-breakpoint
CREATE TABLE "workflow"."workflow_versions" (
	"workflow_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"document" jsonb NOT NULL,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_versions_workflow_id_version_pk" PRIMARY KEY("workflow_id","version")
);
--> statement-breakpoint
CREATE TABLE "workflow"."workflows" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid,
	"user_id" uuid NOT NULL,
	"team_id" uuid,
	"name" text NOT NULL,
	"description" text,
	"status" text DEFAULT 'draft' NOT NULL,
	"is_public" boolean DEFAULT false NOT NULL,
	"ai_prompt" text,
	"execution_count" integer DEFAULT 0 NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "workflow"."node_executions" ADD CONSTRAINT "node_executions_execution_id_workflow_executions_id_fk" FOREIGN KEY ("execution_id") REFERENCES "workflow"."workflow_executions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow"."workflow_connections" ADD CONSTRAINT "workflow_connections_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "workflow"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow"."workflow_connections" ADD CONSTRAINT "workflow_connections_source_fk" FOREIGN KEY ("workflow_id","source_node_id") REFERENCES "workflow"."workflow_nodes"("workflow_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow"."workflow_connections" ADD CONSTRAINT "workflow_connections_target_fk" FOREIGN KEY ("workflow_id","target_node_id") REFERENCES "workflow"."workflow_nodes"("workflow_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow"."workflow_executions" ADD CONSTRAINT "workflow_executions_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "workflow"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow"."workflow_nodes" ADD CONSTRAINT "workflow_nodes_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "workflow"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow"."workflow_versions" ADD CONSTRAINT "workflow_versions_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "workflow"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "workflow"."outbox" USING btree ("created_at") WHERE "workflow"."outbox"."published_at" is null;--> statement-breakpoint
CREATE INDEX "workflow_connections_workflow_idx" ON "workflow"."workflow_connections" USING btree ("workflow_id");--> statement-breakpoint
CREATE INDEX "workflow_executions_workflow_idx" ON "workflow"."workflow_executions" USING btree ("workflow_id","created_at","id");--> statement-breakpoint
CREATE INDEX "workflow_executions_created_idx" ON "workflow"."workflow_executions" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "workflows_user_idx" ON "workflow"."workflows" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "workflows_team_idx" ON "workflow"."workflows" USING btree ("team_id");