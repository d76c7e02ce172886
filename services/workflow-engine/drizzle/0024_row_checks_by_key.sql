-- Row-level security of executions and of a workflow's graph, checked row by row through the key
-- instead of against every row the actor may reach. `x in (select id from ...)` made Postgres
-- build, for each statement, the whole set first: every execution of the actor's workflows for
-- each insert of node runs (thousands after a few minutes of a busy webhook, growing without
-- bound), and a scan of every workflow, asking share_permission of each one the actor does not
-- own, for each statement on executions. `exists (... where id = x)` looks up the one row by its
-- primary key. Who may see or change what is unchanged: the same conditions on the same rows,
-- and the tables read inside keep their own policies, as before.

-- Executions: seen by whoever holds a share (not by readers of a public workflow), started and
-- canceled by run and edit shares.
drop policy workflow_executions_read on workflow.workflow_executions;
create policy workflow_executions_read on workflow.workflow_executions for select
  using (exists (select 1 from workflow.workflows w
      where w.id = workflow_executions.workflow_id
        and (w.user_id = workflow.current_user_id()
          or w.team_id = any (workflow.current_team_ids())
          or workflow.is_platform_admin()))
    or workflow.share_permission(workflow_executions.workflow_id) is not null);

drop policy workflow_executions_change on workflow.workflow_executions;
create policy workflow_executions_change on workflow.workflow_executions for all
  using (exists (select 1 from workflow.workflows w
      where w.id = workflow_executions.workflow_id
        and (w.user_id = workflow.current_user_id()
          or w.team_id = any (workflow.current_writable_team_ids())
          or workflow.is_platform_admin()))
    or workflow.share_permission(workflow_executions.workflow_id) in ('run', 'edit'))
  with check (exists (select 1 from workflow.workflows w
      where w.id = workflow_executions.workflow_id
        and (w.user_id = workflow.current_user_id()
          or w.team_id = any (workflow.current_writable_team_ids())
          or workflow.is_platform_admin()))
    or workflow.share_permission(workflow_executions.workflow_id) in ('run', 'edit'));

-- Node runs and large item data follow their execution: read by those who may see it (its
-- policies apply inside), written by those who may run it.
do $$
declare
  t text;
  changeable constant text := 'exists (select 1 from workflow.workflow_executions e
      join workflow.workflows w on w.id = e.workflow_id
      where e.id = %1$I.execution_id
        and (w.user_id = workflow.current_user_id()
          or w.team_id = any (workflow.current_writable_team_ids())
          or workflow.is_platform_admin()
          or workflow.share_permission(w.id) in (''run'', ''edit'')))';
begin
  foreach t in array array['node_executions', 'execution_data'] loop
    execute format('drop policy %I on workflow.%I', t || '_read', t);
    execute format('create policy %I on workflow.%I for select using (exists (select 1 from '
                   'workflow.workflow_executions e where e.id = %I.execution_id))', t || '_read', t, t);
    execute format('drop policy %I on workflow.%I', t || '_change', t);
    execute format('create policy %I on workflow.%I for all using (%s) with check (%s)',
                   t || '_change', t, format(changeable, t), format(changeable, t));
  end loop;
end $$;

-- A workflow's graph and versions: read by whoever may read the workflow (its policies apply
-- inside), changed by its owner, its team's writers and edit shares.
do $$
declare
  t text;
  changeable constant text := '(exists (select 1 from workflow.workflows w
      where w.id = %1$I.workflow_id
        and (w.user_id = workflow.current_user_id()
          or w.team_id = any (workflow.current_writable_team_ids())
          or workflow.is_platform_admin()))
    or workflow.share_permission(%1$I.workflow_id) = ''edit'')';
begin
  foreach t in array array['workflow_nodes', 'workflow_connections', 'workflow_versions'] loop
    execute format('drop policy %I on workflow.%I', t || '_read', t);
    execute format('create policy %I on workflow.%I for select using (exists (select 1 from '
                   'workflow.workflows w where w.id = %I.workflow_id))', t || '_read', t, t);
    execute format('drop policy %I on workflow.%I', t || '_change', t);
    execute format('create policy %I on workflow.%I for all using (%s) with check (%s)',
                   t || '_change', t, format(changeable, t), format(changeable, t));
  end loop;
end $$;
