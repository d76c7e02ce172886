-- Bot tables (General Bots' SAVE "table", a, b, c): named tables of JSON rows under a bot, written
-- by its scripts and edited through the API; and the memories a bot keeps of each user (REMEMBER,
-- with an optional expiry, and SET USER FACT).

create table conversation.bot_tables (
  id uuid primary key,
  bot_id uuid not null references conversation.bots (id) on delete cascade,
  -- Lower case letters, digits, _ and - (checked by the service; scripts' "Leads.csv" is "leads").
  name text not null check (name ~ '^[a-z][a-z0-9_-]{0,62}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index bot_tables_bot_name on conversation.bot_tables (bot_id, name);

create table conversation.bot_table_rows (
  id uuid primary key,
  table_id uuid not null references conversation.bot_tables (id) on delete cascade,
  -- Denormalized from the table, so row-level security checks the bot without a join.
  bot_id uuid not null references conversation.bots (id) on delete cascade,
  -- What SAVE and MERGE upsert by (the first column's value, as text); null for INSERTed rows.
  key text,
  data jsonb not null check (jsonb_typeof(data) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index bot_table_rows_table_key on conversation.bot_table_rows (table_id, key);
create index bot_table_rows_table_id on conversation.bot_table_rows (table_id, id);
create index bot_table_rows_bot on conversation.bot_table_rows (bot_id);

create table conversation.bot_user_memories (
  id uuid primary key,
  bot_id uuid not null references conversation.bots (id) on delete cascade,
  user_id uuid not null,
  kind text not null check (kind in ('remember', 'fact')),
  key text not null,
  value jsonb not null,
  -- REMEMBER "k", v, "30 days": past this, the memory is gone (reads skip it).
  expires_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index bot_user_memories_key on conversation.bot_user_memories (bot_id, user_id, kind, key);
create index bot_user_memories_user on conversation.bot_user_memories (user_id);
