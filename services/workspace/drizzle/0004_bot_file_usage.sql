-- Bot files are counted in storage_mb by what their payer keeps in all, not file by file: a file
-- of a few bytes costing a whole mebibyte let a free plan hold about a hundred files. One row per
-- payer (a personal bot's owner, a team bot's team) keeps the bytes of its bot files and the
-- mebibytes held for them in identity's storage_mb (reserved_mb, what a release gives back); a
-- write locks it, so concurrent writes settle one after another, each moving reserved_mb to the
-- ceiling of the new total. Media still counts each of its files rounded up.

CREATE TABLE "workspace"."bot_file_usage" (
	"payer_type" text NOT NULL,
	"payer_id" uuid NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"reserved_mb" integer DEFAULT 0 NOT NULL,
	"period_end" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bot_file_usage_pkey" PRIMARY KEY("payer_type","payer_id"),
	CONSTRAINT "bot_file_usage_payer_type_check" CHECK ("payer_type" in ('user', 'team')),
	CONSTRAINT "bot_file_usage_bytes_check" CHECK ("bytes" >= 0 and "reserved_mb" >= 0)
);

-- What the files already kept were charged, file by file.
insert into workspace.bot_file_usage (payer_type, payer_id, bytes, reserved_mb, period_end)
select case when team_id is null then 'user' else 'team' end,
       coalesce(team_id, owner_user_id),
       sum(size_bytes), sum(usage_mb), max(usage_period_end)
  from workspace.bot_files
 group by 1, 2;

alter table workspace.bot_files drop column "usage_mb";
alter table workspace.bot_files drop column "usage_period_end";

-- Only those who may write a payer's bot files touch its row (a team's members other than viewers).
alter table workspace.bot_file_usage enable row level security;
alter table workspace.bot_file_usage force row level security;
create policy bot_file_usage_payer on workspace.bot_file_usage
  using (case when payer_type = 'user' then payer_id = workspace.current_user_id()
              else payer_id = any (workspace.current_writable_team_ids()) end)
  with check (case when payer_type = 'user' then payer_id = workspace.current_user_id()
                   else payer_id = any (workspace.current_writable_team_ids()) end);
