ALTER TABLE "workflow"."workflow_executions" ADD COLUMN "parent_execution_id" uuid;--> statement-breakpoint
ALTER TABLE "workflow"."workflow_executions" ADD COLUMN "parent_workflow_id" uuid;--> statement-breakpoint
ALTER TABLE "workflow"."workflow_executions" ADD COLUMN "parent_node_id" uuid;--> statement-breakpoint
ALTER TABLE "workflow"."workflow_executions" ADD COLUMN "depth" integer DEFAULT 0 NOT NULL;