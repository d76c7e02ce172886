CREATE TABLE "workflow"."workflow_shares" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workflow_id" uuid NOT NULL,
	"shared_by" uuid NOT NULL,
	"shared_with_user_id" uuid,
	"shared_with_team_id" uuid,
	"permission" text NOT NULL,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_shares_one_grantee" CHECK (("workflow"."workflow_shares"."shared_with_user_id" is null) <> ("workflow"."workflow_shares"."shared_with_team_id" is null))
);
--> statement-breakpoint
CREATE TABLE "workflow"."workflow_templates" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid,
	"team_id" uuid,
	"name" text NOT NULL,
	"description" text,
	"category" text NOT NULL,
	"template_data" jsonb NOT NULL,
	"is_official" boolean DEFAULT false NOT NULL,
	"usage_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_templates_official_unowned" CHECK ("workflow"."workflow_templates"."is_official" = ("workflow"."workflow_templates"."user_id" is null))
);
--> statement-breakpoint
ALTER TABLE "workflow"."workflow_shares" ADD CONSTRAINT "workflow_shares_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "workflow"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "workflow_shares_user_unique" ON "workflow"."workflow_shares" USING btree ("workflow_id","shared_with_user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "workflow_shares_team_unique" ON "workflow"."workflow_shares" USING btree ("workflow_id","shared_with_team_id");--> statement-breakpoint
CREATE INDEX "workflow_shares_user_idx" ON "workflow"."workflow_shares" USING btree ("shared_with_user_id");--> statement-breakpoint
CREATE INDEX "workflow_shares_team_idx" ON "workflow"."workflow_shares" USING btree ("shared_with_team_id");--> statement-breakpoint
CREATE INDEX "workflow_templates_category_idx" ON "workflow"."workflow_templates" USING btree ("category","id");--> statement-breakpoint
CREATE INDEX "workflow_templates_user_idx" ON "workflow"."workflow_templates" USING btree ("user_id");