CREATE TABLE "workflow"."execution_data" (
	"id" uuid PRIMARY KEY NOT NULL,
	"execution_id" uuid NOT NULL,
	"data" jsonb NOT NULL,
	"bytes" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "workflow"."execution_data" ADD CONSTRAINT "execution_data_execution_id_workflow_executions_id_fk" FOREIGN KEY ("execution_id") REFERENCES "workflow"."workflow_executions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "execution_data_execution_idx" ON "workflow"."execution_data" USING btree ("execution_id");