-- A query of the built-in source cannot widen its own scope. Member SQL is written by a team's
-- owners and admins and runs as analytics_metrics_reader; row-level security read app.* settings,
-- which any SQL may change mid-statement (set_config, or a string run by query_to_xml), and the
-- reader may even SET ROLE back to the runtime role, its session user. So the scope of such a
-- transaction is a row the runtime role writes before it hands the transaction to member SQL,
-- keyed by the transaction's id: nothing the statement does changes the transaction id, the
-- reader has no right on the row, a second scope for the same transaction is refused (primary
-- key), and the transaction is read-only from then on, so no role can delete it. While a scope is
-- open, events and counters show only its rows, whatever the role and settings, and every other
-- table of the service shows nothing. Transaction ids (64-bit, txid_current) are not reused, so
-- the row of a finished transaction grants nothing; finished rows are removed as scopes open.

create table analytics.metrics_scopes (
  txid bigint primary key default txid_current(),
  team_id uuid not null,
  user_id uuid not null,
  -- The team's owners and admins (and the platform admin) read all of the team's rows; anyone else
  -- their own, and an organization's analytics readers the organization's part of the team's.
  manages boolean not null,
  organization_id uuid,
  opened_at timestamptz not null default now()
);
alter table analytics.metrics_scopes enable row level security;
alter table analytics.metrics_scopes force row level security;
revoke all on analytics.metrics_scopes from public;
revoke all on analytics.metrics_scopes from analytics_app;

-- Opens the current transaction's scope (once: a second call fails on the primary key).
create function analytics.open_metrics_scope(
  p_team uuid, p_user uuid, p_manages boolean, p_organization uuid
) returns void
  language sql security definer set search_path = analytics, pg_temp
  as $$
    delete from analytics.metrics_scopes
      where txid < txid_snapshot_xmin(txid_current_snapshot());
    insert into analytics.metrics_scopes (txid, team_id, user_id, manages, organization_id)
      values (txid_current(), p_team, p_user, p_manages, p_organization);
  $$;
revoke all on function analytics.open_metrics_scope(uuid, uuid, boolean, uuid) from public;
grant execute on function analytics.open_metrics_scope(uuid, uuid, boolean, uuid) to analytics_app;

-- The scope of the current transaction; no row when none is open (a transaction that wrote
-- nothing has no id, and asking does not give it one).
create function analytics.current_metrics_scope()
  returns table (team_id uuid, user_id uuid, manages boolean, organization_id uuid)
  language sql stable security definer set search_path = analytics, pg_temp
  as $$
    select s.team_id, s.user_id, s.manages, s.organization_id
    from analytics.metrics_scopes s
    where s.txid = txid_current_if_assigned()
  $$;
revoke all on function analytics.current_metrics_scope() from public;
grant execute on function analytics.current_metrics_scope() to public;

create function analytics.metrics_scope_open() returns boolean
  language sql stable
  as $$ select exists (select 1 from analytics.current_metrics_scope()) $$;

-- While a scope is open, a row must be of its team, and the user's own unless the scope manages the
-- team (or reads the row's organization). Each (select ...) is asked once per statement.
create policy user_analytics_metrics_scope on analytics.user_analytics as restrictive for all
  using (
    not (select analytics.metrics_scope_open())
    or (
      team_id = (select s.team_id from analytics.current_metrics_scope() s)
      and (
        (select s.manages from analytics.current_metrics_scope() s)
        or user_id = (select s.user_id from analytics.current_metrics_scope() s)
        or organization_id = (select s.organization_id from analytics.current_metrics_scope() s)
      )
    )
  );
create policy rollups_metrics_scope on analytics.rollups as restrictive for all
  using (
    not (select analytics.metrics_scope_open())
    or (
      team_id = (select s.team_id from analytics.current_metrics_scope() s)
      and (
        (select s.manages from analytics.current_metrics_scope() s)
        or user_id = (select s.user_id from analytics.current_metrics_scope() s)
        or organization_id = (select s.organization_id from analytics.current_metrics_scope() s)
      )
    )
  );

-- Everything else of the service is out of a metrics query's reach, whichever role it takes.
do $$
declare
  name text;
begin
  foreach name in array array[
    'datasources', 'dataschemas', 'dataschema_versions', 'explorations', 'reports', 'report_runs',
    'alerts', 'alert_evaluations', 'sql_credentials', 'event_keys'
  ] loop
    execute format(
      'create policy %I on analytics.%I as restrictive for all using (not (select analytics.metrics_scope_open()))',
      name || '_no_metrics_scope', name);
  end loop;
  -- Tables the runtime role reads and writes freely: row-level security only to keep them out of
  -- a metrics query.
  foreach name in array array['outbox', 'processed_events', 'failed_jobs'] loop
    execute format('alter table analytics.%I enable row level security', name);
    execute format('alter table analytics.%I force row level security', name);
    execute format('create policy %I on analytics.%I for all using (true) with check (true)',
      name || '_runtime', name);
    execute format(
      'create policy %I on analytics.%I as restrictive for all using (not (select analytics.metrics_scope_open()))',
      name || '_no_metrics_scope', name);
  end loop;
end $$;
