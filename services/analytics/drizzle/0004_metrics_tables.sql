-- The metrics layer (issue #18): a team's data sources, the versioned schemas (cubes) that define
-- its metrics over a source, and saved explorations (queries) of those metrics. Table and column
-- names follow the Synmetrix seed (datasources, dataschemas, explorations); everything is owned by
-- a team. Each team also has one built-in source, Conduit's own analytics (db_type 'conduit'),
-- made the first time the team's sources or schemas are listed (0005, ensure_conduit_metrics).

create table analytics.datasources (
  id uuid primary key,
  team_id uuid not null,
  organization_id uuid,
  -- Who added it.
  user_id uuid not null,
  name text not null,
  db_type text not null check (db_type in ('conduit', 'postgres')),
  -- host, port, database, user and tlsMode of an external database; never the password.
  db_params jsonb not null default '{}',
  -- The password, AES-256-GCM (@conduit/secrets) bound to the row id; never returned or logged.
  sealed_password text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index datasources_team_idx on analytics.datasources (team_id, created_at, id);
create unique index datasources_one_conduit_per_team on analytics.datasources (team_id) where db_type = 'conduit';

create table analytics.dataschemas (
  id uuid primary key,
  team_id uuid not null,
  datasource_id uuid not null references analytics.datasources (id) on delete cascade,
  user_id uuid not null,
  name text not null,
  -- The latest version, as dataschema_versions keeps it.
  version integer not null default 1,
  format text not null check (format in ('yaml', 'json')),
  code text not null,
  cubes jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index dataschemas_team_idx on analytics.dataschemas (team_id, created_at, id);
create index dataschemas_datasource_idx on analytics.dataschemas (datasource_id);

-- Every saved version, kept: an exploration's answer names the version it ran on.
create table analytics.dataschema_versions (
  dataschema_id uuid not null references analytics.dataschemas (id) on delete cascade,
  version integer not null,
  team_id uuid not null,
  user_id uuid not null,
  format text not null check (format in ('yaml', 'json')),
  code text not null,
  cubes jsonb not null,
  created_at timestamptz not null default now(),
  primary key (dataschema_id, version)
);

create table analytics.explorations (
  id uuid primary key,
  team_id uuid not null,
  datasource_id uuid not null references analytics.datasources (id) on delete cascade,
  dataschema_id uuid not null references analytics.dataschemas (id) on delete cascade,
  user_id uuid not null,
  name text not null,
  -- The saved query (measures, dimensions, time dimension, filters, order, limit), normalized.
  playground_state jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index explorations_team_idx on analytics.explorations (team_id, created_at, id);
create index explorations_dataschema_idx on analytics.explorations (dataschema_id);
