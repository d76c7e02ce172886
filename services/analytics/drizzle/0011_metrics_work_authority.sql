-- Scheduled work acts for its creator only while they still manage the team: a run or evaluation
-- whose creator no longer does is recorded as skipped (with why, in `error`), delivers nothing,
-- and pauses its report or alert with the reason, shown in its answers until a manager resumes it.

alter table analytics.reports add column paused_reason text;
alter table analytics.alerts add column paused_reason text;

alter table analytics.report_runs drop constraint report_runs_status_check;
alter table analytics.report_runs add constraint report_runs_status_check
  check (status in ('running', 'succeeded', 'failed', 'skipped'));
alter table analytics.alert_evaluations drop constraint alert_evaluations_status_check;
alter table analytics.alert_evaluations add constraint alert_evaluations_status_check
  check (status in ('running', 'succeeded', 'failed', 'skipped'));

-- BI logins: no temporary tables (Postgres grants TEMP on a database to PUBLIC, so revoking it from
-- analytics_bi alone changes nothing). None of the services uses temporary tables.
do $$
begin
  execute format('revoke temporary on database %I from public', current_database());
end $$;
