-- What the built-in source reads: a team's events and its team-level counters, through views
-- that run as the caller (security_invoker), so the tables' row-level security still decides
-- which rows an actor sees (a team's owners and admins all of the team's, a member their own).
-- The team is the exploration's (app.metrics_team_id, set per transaction). Queries of the
-- built-in source run as analytics_metrics_reader (SET LOCAL ROLE), which reads these and the two
-- tables under them and nothing else of the service: member SQL cannot reach data sources'
-- sealed passwords or any other table.

create view analytics.metrics_team_events with (security_invoker = true) as
  select id, event_type, source, occurred_at, user_id, bot_id, session_id, workflow_id,
         collection_id, account_id, metrics, clock_skewed
  from analytics.user_analytics
  where team_id = nullif(current_setting('app.metrics_team_id', true), '')::uuid;

create view analytics.metrics_team_counters with (security_invoker = true) as
  select metric, bucket, dimension, nullif(dimension_id, '00000000-0000-0000-0000-000000000000'::uuid) as dimension_id, value
  from analytics.rollups
  where team_id = nullif(current_setting('app.metrics_team_id', true), '')::uuid
    and user_id = '00000000-0000-0000-0000-000000000000'::uuid;

do $$
begin
  create role analytics_metrics_reader nologin;
exception when duplicate_object or unique_violation then
  null; -- made by another database of the same cluster
end $$;

revoke all on analytics.metrics_team_events, analytics.metrics_team_counters from analytics_app;
grant usage on schema analytics to analytics_metrics_reader;
grant select on analytics.user_analytics, analytics.rollups,
  analytics.metrics_team_events, analytics.metrics_team_counters to analytics_metrics_reader;
grant analytics_metrics_reader to analytics_app;
