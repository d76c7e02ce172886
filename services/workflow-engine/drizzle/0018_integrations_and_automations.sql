CREATE TABLE "workflow"."automation_runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"automation_id" uuid NOT NULL,
	"bot_id" uuid NOT NULL,
	"job_id" text,
	"trigger" text NOT NULL,
	"status" text NOT NULL,
	"output" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error" text,
	"attempt" integer DEFAULT 1 NOT NULL,
	"tick_at" timestamp with time zone,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"exec_time_ms" integer
);
--> statement-breakpoint
CREATE TABLE "workflow"."integrations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"name" text NOT NULL,
	"category" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"kind" text NOT NULL,
	"config_schema" jsonb NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "integrations_key_unique" UNIQUE("key")
);
--> statement-breakpoint
CREATE TABLE "workflow"."system_automations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bot_id" uuid NOT NULL,
	"organization_id" uuid,
	"owner_user_id" uuid NOT NULL,
	"team_id" uuid,
	"name" text NOT NULL,
	"schedule" text NOT NULL,
	"cron" text NOT NULL,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"script" text NOT NULL,
	"source" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"bot_updated_at" timestamp with time zone,
	"last_run_at" timestamp with time zone,
	"next_run_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflow"."user_integrations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid,
	"user_id" uuid NOT NULL,
	"team_id" uuid,
	"integration_id" uuid NOT NULL,
	"name" text NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"sealed" text,
	"shared_team_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "workflow"."automation_runs" ADD CONSTRAINT "automation_runs_automation_id_system_automations_id_fk" FOREIGN KEY ("automation_id") REFERENCES "workflow"."system_automations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow"."user_integrations" ADD CONSTRAINT "user_integrations_integration_id_integrations_id_fk" FOREIGN KEY ("integration_id") REFERENCES "workflow"."integrations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "automation_runs_automation_idx" ON "workflow"."automation_runs" USING btree ("automation_id","started_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "automation_runs_job_unique" ON "workflow"."automation_runs" USING btree ("automation_id","job_id");--> statement-breakpoint
CREATE UNIQUE INDEX "automation_runs_one_running" ON "workflow"."automation_runs" USING btree ("automation_id") WHERE "workflow"."automation_runs"."status" = 'running';--> statement-breakpoint
CREATE INDEX "integrations_category_idx" ON "workflow"."integrations" USING btree ("category","name");--> statement-breakpoint
CREATE INDEX "system_automations_bot_idx" ON "workflow"."system_automations" USING btree ("bot_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "system_automations_script_unique" ON "workflow"."system_automations" USING btree ("bot_id") WHERE "workflow"."system_automations"."source" = 'script';--> statement-breakpoint
CREATE INDEX "user_integrations_user_idx" ON "workflow"."user_integrations" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "user_integrations_team_idx" ON "workflow"."user_integrations" USING btree ("team_id");