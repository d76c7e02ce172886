-- Row-level security of bot tables and per-user bot memories (0006).
-- Tables and their rows are like bot memories: whoever may talk to the bot may read and write
-- them, because its scripts do so on the speaker's behalf (a lead capture writes as the visitor).
-- Who may edit them through the API (owners; team owners and admins) is checked in the domain.
alter table conversation.bot_tables enable row level security;
alter table conversation.bot_tables force row level security;
create policy bot_tables_bot on conversation.bot_tables
  using (conversation.bot_visible(bot_id))
  with check (conversation.bot_visible(bot_id));

alter table conversation.bot_table_rows enable row level security;
alter table conversation.bot_table_rows force row level security;
create policy bot_table_rows_bot on conversation.bot_table_rows
  using (conversation.bot_visible(bot_id))
  with check (conversation.bot_visible(bot_id)
              and exists (select 1 from conversation.bot_tables t where t.id = table_id and t.bot_id = bot_table_rows.bot_id));

-- What a bot remembers of a user is that user's alone, and only with a bot they may talk to.
alter table conversation.bot_user_memories enable row level security;
alter table conversation.bot_user_memories force row level security;
create policy bot_user_memories_owner on conversation.bot_user_memories
  using (user_id = conversation.current_user_id() and conversation.bot_visible(bot_id))
  with check (user_id = conversation.current_user_id() and conversation.bot_visible(bot_id));
