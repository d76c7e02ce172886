-- Apps publish a bot to websites (issue #15): the app, its look, its prompt settings, its
-- key/value settings, the page origins it may be embedded on, its custom domains, and the
-- anonymous visitors who talk to it through the public widget API.

create table conversation.apps (
  id uuid primary key,
  org_id uuid,
  owner_user_id uuid not null,
  team_id uuid,
  bot_id uuid not null references conversation.bots (id) on delete cascade,
  name text not null,
  status text not null default 'draft' check (status in ('draft', 'published', 'disabled')),
  -- Named in the host page's <script data-app>: public, but unguessable and rotatable.
  public_key text not null unique,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index apps_owner_idx on conversation.apps (owner_user_id);
create index apps_team_idx on conversation.apps (team_id);
create index apps_bot_idx on conversation.apps (bot_id);

create table conversation.app_appearances (
  app_id uuid primary key references conversation.apps (id) on delete cascade,
  primary_color text not null default '#2563eb',
  background_color text not null default '#ffffff',
  text_color text not null default '#111827',
  -- Media of the workspace service (plain ids: no foreign key across schemas).
  logo_media_id uuid,
  avatar_media_id uuid,
  launcher_position text not null default 'bottom-right'
    check (launcher_position in ('bottom-right', 'bottom-left')),
  welcome_text text not null default '',
  suggested_questions jsonb not null default '[]',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table conversation.app_prompt_engineering_settings (
  app_id uuid primary key references conversation.apps (id) on delete cascade,
  system_prompt text,
  model text,
  temperature real check (temperature is null or (temperature >= 0 and temperature <= 2)),
  max_tokens integer check (max_tokens is null or max_tokens > 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table conversation.app_settings (
  id uuid primary key,
  app_id uuid not null references conversation.apps (id) on delete cascade,
  key text not null,
  value text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index app_settings_app_key on conversation.app_settings (app_id, key);

create table conversation.app_restricted_urls (
  id uuid primary key,
  app_id uuid not null references conversation.apps (id) on delete cascade,
  -- scheme://host[:port], lower case, no path: what a browser sends as Origin.
  origin text not null,
  -- Pages under this path only (checked against the Referer's path); null: the whole origin.
  path_prefix text,
  created_at timestamptz not null default now()
);
create index app_restricted_urls_app_idx on conversation.app_restricted_urls (app_id, created_at, id);

create table conversation.domains (
  id uuid primary key,
  app_id uuid not null references conversation.apps (id) on delete cascade,
  domain text not null,
  verification_token text not null,
  status text not null default 'pending' check (status in ('pending', 'verified', 'failed')),
  verified_at timestamptz,
  last_checked_at timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index domains_app_domain on conversation.domains (app_id, domain);
create index domains_app_idx on conversation.domains (app_id, created_at, id);

-- A visitor token's subject: its id is the user id of the visitor's sessions and messages.
create table conversation.app_visitors (
  id uuid primary key,
  app_id uuid not null references conversation.apps (id) on delete cascade,
  created_at timestamptz not null default now()
);
create index app_visitors_app_idx on conversation.app_visitors (app_id);
