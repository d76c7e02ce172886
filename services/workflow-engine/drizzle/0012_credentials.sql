CREATE TABLE "workflow"."workflow_credentials" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid,
	"user_id" uuid NOT NULL,
	"team_id" uuid,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"sealed" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "workflow_credentials_user_idx" ON "workflow"."workflow_credentials" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "workflow_credentials_team_idx" ON "workflow"."workflow_credentials" USING btree ("team_id");