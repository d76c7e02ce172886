-- The metrics layer's outputs (issue #18, part B): how an exploration is drawn, scheduled reports
-- and alerts with every run recorded, and SQL credentials for BI tools. Table names follow the
-- Synmetrix seed (reports, alerts, sql_credentials); everything is owned by a team.

-- How the exploration is drawn in its chart routes and in every delivery.
alter table analytics.explorations
  add column chart text not null default 'line' check (chart in ('line', 'bar', 'area', 'table'));

-- A BI tool's login: a Postgres LOGIN role (`username`) that reads only its team's views (0008).
-- The password is shown once; Postgres keeps its SCRAM verifier, this table nothing of it.
create table analytics.sql_credentials (
  id uuid primary key,
  team_id uuid not null,
  organization_id uuid,
  user_id uuid not null,
  name text not null,
  username text not null unique check (username ~ '^bi_[0-9a-f]{20}$'),
  connection_limit integer not null check (connection_limit between 1 and 100),
  created_at timestamptz not null default now()
);
create index sql_credentials_team_idx on analytics.sql_credentials (team_id, created_at, id);

-- Where a report's or alert's deliveries go: {webhookUrl?, emailTo?, workflow?}; the webhook's
-- signing secret is sealed apart (sealed_webhook_secret), bound to the row id.
create table analytics.reports (
  id uuid primary key,
  team_id uuid not null,
  organization_id uuid,
  user_id uuid not null,
  exploration_id uuid not null references analytics.explorations (id) on delete cascade,
  name text not null,
  schedule text not null,
  time_zone text not null,
  format text not null check (format in ('csv', 'json', 'html', 'chart')),
  delivery jsonb not null,
  sealed_webhook_secret text,
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index reports_team_idx on analytics.reports (team_id, created_at, id);
create index reports_exploration_idx on analytics.reports (exploration_id);

-- One row per tick (or "send now"): the unique (report_id, tick_at) is what makes a tick run once
-- however many workers see it; attempts count the job's tries of that tick.
create table analytics.report_runs (
  id uuid primary key,
  report_id uuid not null references analytics.reports (id) on delete cascade,
  team_id uuid not null,
  tick_at timestamptz not null,
  trigger text not null check (trigger in ('schedule', 'manual')),
  status text not null check (status in ('running', 'succeeded', 'failed')),
  attempts integer not null default 1,
  row_count integer,
  delivery jsonb not null default '{}',
  error text,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  unique (report_id, tick_at)
);
create index report_runs_report_idx on analytics.report_runs (report_id, started_at, id);

-- conditions: [{column, lower?, upper?} | {column, changePercent}] on the exploration's measures.
create table analytics.alerts (
  id uuid primary key,
  team_id uuid not null,
  organization_id uuid,
  user_id uuid not null,
  exploration_id uuid not null references analytics.explorations (id) on delete cascade,
  name text not null,
  schedule text not null,
  time_zone text not null,
  conditions jsonb not null,
  delivery jsonb not null,
  sealed_webhook_secret text,
  -- While firing, a reminder goes out this often; null: no repeat until it is resolved.
  reminder_interval_seconds integer check (reminder_interval_seconds > 0),
  state text not null default 'ok' check (state in ('ok', 'firing')),
  state_changed_at timestamptz,
  last_notified_at timestamptz,
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index alerts_team_idx on analytics.alerts (team_id, created_at, id);
create index alerts_exploration_idx on analytics.alerts (exploration_id);

-- One row per evaluation; `notified` says which delivery it made (fired, reminder, resolved, test).
create table analytics.alert_evaluations (
  id uuid primary key,
  alert_id uuid not null references analytics.alerts (id) on delete cascade,
  team_id uuid not null,
  tick_at timestamptz not null,
  trigger text not null check (trigger in ('schedule', 'manual', 'test')),
  status text not null check (status in ('running', 'succeeded', 'failed')),
  attempts integer not null default 1,
  outcome text check (outcome in ('ok', 'firing')),
  notified text check (notified in ('fired', 'reminder', 'resolved', 'test')),
  breaches jsonb not null default '[]',
  delivery jsonb not null default '{}',
  error text,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  unique (alert_id, tick_at)
);
create index alert_evaluations_alert_idx on analytics.alert_evaluations (alert_id, started_at, id);
