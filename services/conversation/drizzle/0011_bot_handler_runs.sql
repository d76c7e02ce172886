-- Each run of a bot's ON or WEBHOOK script (issue #19): how it ended, why it failed, the lines it
-- wrote, so the bot's managers can read what happened (as automations record their runs) instead
-- of it living in the service's log only. Written as the bot's owner, whom the script acts as;
-- read by whoever may change the bot (its owner, its team's writers), nobody else.
create table conversation.bot_handler_runs (
  id uuid primary key,
  bot_id uuid not null references conversation.bots (id) on delete cascade,
  tool_id uuid not null references conversation.basic_tools (id) on delete cascade,
  kind text not null check (kind in ('on', 'webhook')),
  -- ON: the table change that ran it (conversation.bot_table.changed's id); WEBHOOK: null.
  event_id uuid,
  status text not null check (status in ('succeeded', 'failed')),
  error text,
  output jsonb not null default '[]',
  started_at timestamptz not null,
  finished_at timestamptz not null
);
create index bot_handler_runs_tool on conversation.bot_handler_runs (tool_id, id desc);
create index bot_handler_runs_bot on conversation.bot_handler_runs (bot_id);

alter table conversation.bot_handler_runs enable row level security;
alter table conversation.bot_handler_runs force row level security;
create policy bot_handler_runs_managers on conversation.bot_handler_runs
  using (conversation.bot_manageable(bot_id))
  with check (conversation.bot_manageable(bot_id));

-- A webhook's run is recorded under its script: the look-up of 0010 answers the script's id too.
drop function conversation.bot_webhook_script(uuid, text);
create function conversation.bot_webhook_script(p_bot_id uuid, p_name text)
  returns table (bot_id uuid, owner_user_id uuid, team_id uuid, org_id uuid, tool_id uuid, script text)
  language sql stable security definer
  set search_path = conversation, pg_temp
  as $$
    select b.id, b.owner_user_id, b.team_id, b.org_id, t.id, t.script
    from conversation.bots b
    join conversation.basic_tools t on t.bot_id = b.id
    where b.id = p_bot_id and t.metadata ->> 'webhook' = p_name
  $$;
revoke all on function conversation.bot_webhook_script(uuid, text) from public;
grant execute on function conversation.bot_webhook_script(uuid, text) to conversation_app;
