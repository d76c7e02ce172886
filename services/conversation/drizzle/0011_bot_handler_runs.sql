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
