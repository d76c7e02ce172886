-- Large item data follows its execution, as node runs do: read by those who may see the
-- execution, written by those who may run it.
alter table workflow.execution_data enable row level security;
alter table workflow.execution_data force row level security;
create policy execution_data_read on workflow.execution_data for select
  using (execution_id in (select id from workflow.workflow_executions));
create policy execution_data_change on workflow.execution_data for all
  using (execution_id in (select e.id from workflow.workflow_executions e
    join workflow.workflows w on w.id = e.workflow_id
    where w.user_id = workflow.current_user_id()
       or w.team_id = any (workflow.current_writable_team_ids())
       or workflow.is_platform_admin()
       or workflow.share_permission(w.id) in ('run', 'edit')))
  with check (execution_id in (select e.id from workflow.workflow_executions e
    join workflow.workflows w on w.id = e.workflow_id
    where w.user_id = workflow.current_user_id()
       or w.team_id = any (workflow.current_writable_team_ids())
       or workflow.is_platform_admin()
       or workflow.share_permission(w.id) in ('run', 'edit')));
