-- The workspace: a user's preferences, their client-encrypted chats, projects (a user's or a
-- team's) with the chats and files linked to them, and stored files (media). Every row a client
-- syncs carries its sync scope (its team, else its user) and a change sequence, set by a trigger
-- on insert and update, and every delete leaves a tombstone stamped the same way, so GET /v1/sync
-- can answer "what changed after this cursor" (see src/domain/sync/sync-cursor.ts).

CREATE TABLE "workspace"."failed_jobs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"queue" text NOT NULL,
	"job_name" text NOT NULL,
	"job_id" text,
	"payload" jsonb NOT NULL,
	"error" text NOT NULL,
	"attempts" integer NOT NULL,
	"failed_at" timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE "workspace"."outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"subject" text NOT NULL,
	"payload" jsonb NOT NULL,
	"traceparent" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text
);
CREATE INDEX "outbox_unpublished_idx" ON "workspace"."outbox" USING btree ("created_at") WHERE "published_at" is null;
CREATE TABLE "workspace"."processed_events" (
	"consumer" text NOT NULL,
	"event_id" uuid NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "processed_events_consumer_event_id_pk" PRIMARY KEY("consumer","event_id")
);

CREATE SEQUENCE "workspace"."change_seq";

-- Writers of one scope take their sequence numbers one transaction at a time (the lock is held to
-- the commit), so within a scope the sequence is also the order of the commits: a reader never
-- sees a later number of a scope while an earlier one may still appear.
CREATE FUNCTION "workspace"."stamp_change"() RETURNS trigger LANGUAGE plpgsql AS $$
declare
  fields constant jsonb := to_jsonb(new);
  scope constant uuid := coalesce((fields ->> 'team_id')::uuid, (fields ->> 'owner_user_id')::uuid,
                                  (fields ->> 'user_id')::uuid);
begin
  perform pg_advisory_xact_lock(hashtextextended('workspace.sync:' || scope::text, 0));
  new.sync_scope := scope;
  new.change_seq := nextval('workspace.change_seq');
  return new;
end $$;

CREATE TABLE "workspace"."user_preferences" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"preferred_model" text,
	"system_prompt" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sync_scope" uuid NOT NULL,
	"change_seq" bigint NOT NULL
);
CREATE TABLE "workspace"."theme_settings" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"mode" text DEFAULT 'system' NOT NULL,
	"accent_color" text,
	"font_size" text DEFAULT 'medium' NOT NULL,
	"custom" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sync_scope" uuid NOT NULL,
	"change_seq" bigint NOT NULL
);
CREATE TABLE "workspace"."customization_preferences" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"show_timestamps" boolean DEFAULT true NOT NULL,
	"show_model_names" boolean DEFAULT true NOT NULL,
	"compact_mode" boolean DEFAULT false NOT NULL,
	"send_on_enter" boolean DEFAULT true NOT NULL,
	"features" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sync_scope" uuid NOT NULL,
	"change_seq" bigint NOT NULL
);

-- Only ciphertext: the client encrypts the chat and its title; the server keeps what it needs to
-- hand them back (nonce, key id, algorithm) and timestamps it can read.
CREATE TABLE "workspace"."encrypted_chats" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_user_id" uuid NOT NULL,
	"key_id" text NOT NULL,
	"algorithm" text NOT NULL,
	"nonce" bytea NOT NULL,
	"ciphertext" bytea NOT NULL,
	"title_nonce" bytea,
	"title_ciphertext" bytea,
	"version" integer DEFAULT 1 NOT NULL,
	"last_message_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sync_scope" uuid NOT NULL,
	"change_seq" bigint NOT NULL
);
CREATE INDEX "encrypted_chats_owner_idx" ON "workspace"."encrypted_chats" USING btree ("owner_user_id","id");

CREATE TABLE "workspace"."media" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_user_id" uuid NOT NULL,
	"team_id" uuid,
	"name" text NOT NULL,
	"content_type" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"sha256" text NOT NULL,
	"storage_key" text NOT NULL,
	"public" boolean DEFAULT false NOT NULL,
	"usage_mb" integer DEFAULT 0 NOT NULL,
	"usage_period_end" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sync_scope" uuid NOT NULL,
	"change_seq" bigint NOT NULL,
	CONSTRAINT "media_storage_key_unique" UNIQUE("storage_key")
);
CREATE INDEX "media_owner_idx" ON "workspace"."media" USING btree ("owner_user_id","id");
CREATE INDEX "media_team_idx" ON "workspace"."media" USING btree ("team_id","id") WHERE "team_id" is not null;

CREATE TABLE "workspace"."projects" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_user_id" uuid NOT NULL,
	"team_id" uuid,
	"name" text NOT NULL,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sync_scope" uuid NOT NULL,
	"change_seq" bigint NOT NULL
);
CREATE INDEX "projects_owner_idx" ON "workspace"."projects" USING btree ("owner_user_id","id");
CREATE INDEX "projects_team_idx" ON "workspace"."projects" USING btree ("team_id","id") WHERE "team_id" is not null;

-- A project's chats and files carry the project's owner and team, so their policies and their
-- tombstones need no look-up of a project that a cascade may already have removed.
CREATE TABLE "workspace"."project_chats" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL REFERENCES "workspace"."projects"("id") ON DELETE CASCADE,
	"owner_user_id" uuid NOT NULL,
	"team_id" uuid,
	"encrypted_chat_id" uuid REFERENCES "workspace"."encrypted_chats"("id") ON DELETE CASCADE,
	"session_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sync_scope" uuid NOT NULL,
	"change_seq" bigint NOT NULL,
	CONSTRAINT "project_chats_one_chat" CHECK (("encrypted_chat_id" is null) <> ("session_id" is null))
);
CREATE UNIQUE INDEX "project_chats_encrypted_unique" ON "workspace"."project_chats" USING btree ("project_id","encrypted_chat_id") WHERE "encrypted_chat_id" is not null;
CREATE UNIQUE INDEX "project_chats_session_unique" ON "workspace"."project_chats" USING btree ("project_id","session_id") WHERE "session_id" is not null;
CREATE INDEX "project_chats_chat_idx" ON "workspace"."project_chats" USING btree ("encrypted_chat_id");

CREATE TABLE "workspace"."project_files" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL REFERENCES "workspace"."projects"("id") ON DELETE CASCADE,
	"owner_user_id" uuid NOT NULL,
	"team_id" uuid,
	"media_id" uuid NOT NULL REFERENCES "workspace"."media"("id") ON DELETE CASCADE,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sync_scope" uuid NOT NULL,
	"change_seq" bigint NOT NULL,
	CONSTRAINT "project_files_unique" UNIQUE("project_id","media_id")
);
CREATE INDEX "project_files_media_idx" ON "workspace"."project_files" USING btree ("media_id");

-- What was deleted, for clients that still hold it.
CREATE TABLE "workspace"."tombstones" (
	"entity" text NOT NULL,
	"entity_id" uuid NOT NULL,
	"owner_user_id" uuid NOT NULL,
	"team_id" uuid,
	"deleted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sync_scope" uuid NOT NULL,
	"change_seq" bigint NOT NULL,
	CONSTRAINT "tombstones_pk" PRIMARY KEY("entity","entity_id")
);

CREATE FUNCTION "workspace"."record_tombstone"() RETURNS trigger LANGUAGE plpgsql AS $$
begin
  insert into workspace.tombstones (entity, entity_id, owner_user_id, team_id)
  values (tg_argv[0], old.id, old.owner_user_id, (to_jsonb(old) ->> 'team_id')::uuid)
  on conflict (entity, entity_id) do nothing;
  return old;
end $$;

-- Stored objects whose rows are gone: removed from storage after the commit, or by the sweep job
-- when that failed (the row is the durable step between the two).
CREATE TABLE "workspace"."object_deletions" (
	"storage_key" text PRIMARY KEY NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL
);

DO $$
declare
  t text;
begin
  foreach t in array array['user_preferences', 'theme_settings', 'customization_preferences',
                           'encrypted_chats', 'media', 'projects', 'project_chats', 'project_files',
                           'tombstones'] loop
    execute format('create trigger %I before insert or update on workspace.%I for each row execute function workspace.stamp_change()',
                   t || '_stamp', t);
    execute format('create index %I on workspace.%I (sync_scope, change_seq)', t || '_change_idx', t);
  end loop;
  foreach t in array array['encrypted_chats', 'media', 'projects', 'project_chats', 'project_files'] loop
    execute format('create trigger %I after delete on workspace.%I for each row execute function workspace.record_tombstone(%L)',
                   t || '_tombstone', t, rtrim(t, 's'));
  end loop;
end $$;
