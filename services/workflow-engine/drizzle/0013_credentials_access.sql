-- Credentials are private to their owner, or to their team (viewers may see that they exist, by
-- name; only the owner and the team's writers create, change or delete them). The sealed value is
-- opened by the service only, as the owner of the workflow that uses it.
alter table workflow.workflow_credentials enable row level security;
alter table workflow.workflow_credentials force row level security;
create policy workflow_credentials_read on workflow.workflow_credentials for select
  using (
    user_id = workflow.current_user_id()
    or team_id = any (workflow.current_team_ids())
    or workflow.is_platform_admin()
  );
create policy workflow_credentials_change on workflow.workflow_credentials for all
  using (
    user_id = workflow.current_user_id()
    or team_id = any (workflow.current_writable_team_ids())
    or workflow.is_platform_admin()
  )
  with check (
    user_id = workflow.current_user_id()
    or team_id = any (workflow.current_writable_team_ids())
    or workflow.is_platform_admin()
  );
