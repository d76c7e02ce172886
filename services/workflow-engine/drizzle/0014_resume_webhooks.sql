ALTER TABLE "workflow"."node_executions" ADD COLUMN "resume_data" jsonb;--> statement-breakpoint
ALTER TABLE "workflow"."workflow_executions" ADD COLUMN "resume_token" text;