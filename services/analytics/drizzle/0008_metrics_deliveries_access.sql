-- Who sees and changes reports, alerts and SQL credentials: every member of the team reads them
-- (never the sealed secrets, which no answer carries); the team's owners and admins manage them
-- (app.managed_team_ids, set by asViewer). Runs and evaluations are written by the worker acting
-- as the team's manager, and read by the team.

alter table analytics.sql_credentials enable row level security;
alter table analytics.sql_credentials force row level security;
create policy sql_credentials_read on analytics.sql_credentials for select
  using (team_id = any (analytics.current_team_ids()) or analytics.is_platform_admin());
create policy sql_credentials_manage on analytics.sql_credentials for all
  using (team_id = any (analytics.managed_team_ids()) or analytics.is_platform_admin())
  with check (team_id = any (analytics.managed_team_ids()) or analytics.is_platform_admin());
-- A credential is created and revoked, never changed.
revoke update, truncate on analytics.sql_credentials from analytics_app;

alter table analytics.reports enable row level security;
alter table analytics.reports force row level security;
create policy reports_read on analytics.reports for select
  using (team_id = any (analytics.current_team_ids()) or analytics.is_platform_admin());
create policy reports_manage on analytics.reports for all
  using (team_id = any (analytics.managed_team_ids()) or analytics.is_platform_admin())
  with check (
    (team_id = any (analytics.managed_team_ids()) or analytics.is_platform_admin())
    and exploration_id in (select id from analytics.explorations where explorations.team_id = reports.team_id)
  );

alter table analytics.report_runs enable row level security;
alter table analytics.report_runs force row level security;
create policy report_runs_read on analytics.report_runs for select
  using (team_id = any (analytics.current_team_ids()) or analytics.is_platform_admin());
create policy report_runs_write on analytics.report_runs for all
  using (team_id = any (analytics.managed_team_ids()) or analytics.is_platform_admin())
  with check (
    (team_id = any (analytics.managed_team_ids()) or analytics.is_platform_admin())
    and report_id in (select id from analytics.reports where reports.team_id = report_runs.team_id)
  );

alter table analytics.alerts enable row level security;
alter table analytics.alerts force row level security;
create policy alerts_read on analytics.alerts for select
  using (team_id = any (analytics.current_team_ids()) or analytics.is_platform_admin());
create policy alerts_manage on analytics.alerts for all
  using (team_id = any (analytics.managed_team_ids()) or analytics.is_platform_admin())
  with check (
    (team_id = any (analytics.managed_team_ids()) or analytics.is_platform_admin())
    and exploration_id in (select id from analytics.explorations where explorations.team_id = alerts.team_id)
  );

alter table analytics.alert_evaluations enable row level security;
alter table analytics.alert_evaluations force row level security;
create policy alert_evaluations_read on analytics.alert_evaluations for select
  using (team_id = any (analytics.current_team_ids()) or analytics.is_platform_admin());
create policy alert_evaluations_write on analytics.alert_evaluations for all
  using (team_id = any (analytics.managed_team_ids()) or analytics.is_platform_admin())
  with check (
    (team_id = any (analytics.managed_team_ids()) or analytics.is_platform_admin())
    and alert_id in (select id from analytics.alerts where alerts.team_id = alert_evaluations.team_id)
  );

revoke truncate on analytics.reports, analytics.report_runs, analytics.alerts,
  analytics.alert_evaluations from analytics_app;

-- BI logins ---------------------------------------------------------------------------------------
-- Each SQL credential is a LOGIN role in analytics_bi. Its team is the credential row whose
-- username is the session's role; the policies below are scoped TO analytics_bi and RESTRICTIVE, so
-- a BI session that sets app.* settings itself (it can) still sees only its own team's rows.

do $$
begin
  create role analytics_bi nologin;
exception when duplicate_object or unique_violation then
  null; -- made by another database of the same cluster
end $$;

grant usage on schema analytics to analytics_bi;
grant select (username, team_id) on analytics.sql_credentials to analytics_bi;
create policy sql_credentials_bi_own on analytics.sql_credentials for select to analytics_bi
  using (username = current_user);
create policy sql_credentials_bi_only_own on analytics.sql_credentials as restrictive for all to analytics_bi
  using (username = current_user);

-- The team of the BI session's role; null (no rows anywhere) for any other role.
create function analytics.bi_team_id() returns uuid
  language sql stable
  as $$ select team_id from analytics.sql_credentials where username = current_user $$;

create policy user_analytics_bi on analytics.user_analytics for select to analytics_bi
  using (team_id = analytics.bi_team_id());
create policy user_analytics_bi_only on analytics.user_analytics as restrictive for all to analytics_bi
  using (team_id = analytics.bi_team_id());
-- The team's own counters (the team level of the rollups), not its members' one by one.
create policy rollups_bi on analytics.rollups for select to analytics_bi
  using (team_id = analytics.bi_team_id() and user_id = '00000000-0000-0000-0000-000000000000'::uuid);
create policy rollups_bi_only on analytics.rollups as restrictive for all to analytics_bi
  using (team_id = analytics.bi_team_id() and user_id = '00000000-0000-0000-0000-000000000000'::uuid);

-- What a BI tool is pointed at: the team's events and counters, without the tenancy columns.
create view analytics.team_events with (security_invoker = true) as
  select id, event_type, source, occurred_at, user_id, bot_id, session_id, workflow_id,
         collection_id, account_id, metrics
  from analytics.user_analytics;
create view analytics.team_counters with (security_invoker = true) as
  select metric, bucket, dimension,
         nullif(dimension_id, '00000000-0000-0000-0000-000000000000'::uuid) as dimension_id, value
  from analytics.rollups;

revoke all on analytics.team_events, analytics.team_counters from analytics_app;
grant select on analytics.user_analytics, analytics.rollups, analytics.team_events,
  analytics.team_counters to analytics_bi;
