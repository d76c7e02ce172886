-- A public workflow is readable by anyone signed in, not by a transaction without an actor: the
-- read policy of 0001 let a connection that had set no app.user_id see public workflows (and
-- their graphs, whose policies follow the workflow).
drop policy workflows_read on workflow.workflows;
create policy workflows_read on workflow.workflows for select
  using (
    user_id = workflow.current_user_id()
    or team_id = any (workflow.current_team_ids())
    or (is_public and workflow.current_user_id() is not null)
    or workflow.is_platform_admin()
  );
