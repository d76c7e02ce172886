-- A bot's files (issue #19, family 4: READ, WRITE, LIST, COPY, MOVE, DELETE FILE, DOWNLOAD,
-- COMPRESS / EXTRACT, GENERATE / MERGE PDF). Conversation's dialogs and the workflow engine's
-- automations reach them over rpc.workspace.bot_files.*, acting as the bot's owner (its team for a
-- team bot), who owns and pays for them (storage_mb, like media). Paths are the bot's own names
-- (`reports/may.pdf`), unique per bot; the bytes live in the object store under keys the store
-- makes, never under the path. Bot files are not synced to chat clients (no change stamp).
--
-- Row-level security as for media: a personal bot's files are its owner's, a team bot's are read
-- by the team's members and changed by members other than viewers.

CREATE TABLE "workspace"."bot_files" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bot_id" uuid NOT NULL,
	"owner_user_id" uuid NOT NULL,
	"team_id" uuid,
	"path" text NOT NULL,
	"content_type" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"sha256" text NOT NULL,
	"storage_key" text NOT NULL,
	"usage_mb" integer DEFAULT 0 NOT NULL,
	"usage_period_end" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bot_files_path_unique" UNIQUE("bot_id","path"),
	CONSTRAINT "bot_files_storage_key_unique" UNIQUE("storage_key")
);

DO $$
declare
  readable text := 'case when team_id is null then owner_user_id = workspace.current_user_id()'
                   ' else team_id = any (workspace.current_team_ids()) end';
  writable text := 'case when team_id is null then owner_user_id = workspace.current_user_id()'
                   ' else team_id = any (workspace.current_writable_team_ids()) end';
begin
  alter table workspace.bot_files enable row level security;
  alter table workspace.bot_files force row level security;
  execute format('create policy bot_files_access on workspace.bot_files using (%s) with check (%s)',
                 readable, writable);
  execute format('create policy bot_files_update_by_role on workspace.bot_files as restrictive for update using (%s)',
                 writable);
  execute format('create policy bot_files_delete_by_role on workspace.bot_files as restrictive for delete using (%s)',
                 writable);
end $$;
