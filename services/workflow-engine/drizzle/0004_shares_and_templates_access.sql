-- Shares, templates, and who counts executions.
--
-- A share gives a user, or the members of a team, one of view / run / edit on a workflow until it
-- expires; a team viewer gets no more than view through a team share. `share_permission` answers
-- the best of the current actor's live shares. It is SECURITY DEFINER so that the policies of
-- workflows may ask it without recursing into the policies of workflow_shares (which ask about
-- workflows in turn).

create function workflow.share_permission(p_workflow_id uuid) returns text
  language sql stable security definer
  set search_path = workflow, pg_temp
  as $$
    select case max(case
        when s.shared_with_team_id is not null
             and not (s.shared_with_team_id = any (workflow.current_writable_team_ids())) then 1
        when s.permission = 'edit' then 3
        when s.permission = 'run' then 2
        else 1 end)
      when 3 then 'edit' when 2 then 'run' when 1 then 'view' end
    from workflow.workflow_shares s
    where s.workflow_id = p_workflow_id
      and (s.shared_with_user_id = workflow.current_user_id()
           or s.shared_with_team_id = any (workflow.current_team_ids()))
      and (s.expires_at is null or s.expires_at > now())
  $$;

revoke all on function workflow.share_permission(uuid) from public;
grant execute on function workflow.share_permission(uuid) to workflow_app;

-- Workflows: a share reads; an edit share also changes (never deletes: that stays with owners).
drop policy workflows_read on workflow.workflows;
create policy workflows_read on workflow.workflows for select
  using (
    user_id = workflow.current_user_id()
    or team_id = any (workflow.current_team_ids())
    or (is_public and workflow.current_user_id() is not null)
    or workflow.is_platform_admin()
    or workflow.share_permission(id) is not null
  );
create policy workflows_update_shared on workflow.workflows for update
  using (workflow.share_permission(id) = 'edit')
  with check (workflow.share_permission(id) = 'edit');

-- The graph's tables: an edit share writes them as the owner does.
do $$
declare
  changeable constant text := $c$(workflow_id in (select id from workflow.workflows
    where user_id = workflow.current_user_id()
       or team_id = any (workflow.current_writable_team_ids())
       or workflow.is_platform_admin())
    or workflow.share_permission(workflow_id) = 'edit')$c$;
  t text;
begin
  foreach t in array array['workflow_versions', 'workflow_nodes', 'workflow_connections'] loop
    execute format('drop policy %I on workflow.%I', t || '_change', t);
    execute format('create policy %I on workflow.%I for all using (%s) with check (%s)',
                   t || '_change', t, changeable, changeable);
  end loop;
end $$;

-- Executions: seen by whoever holds a share (not by readers of a public workflow), started and
-- canceled by run and edit shares.
drop policy workflow_executions_read on workflow.workflow_executions;
create policy workflow_executions_read on workflow.workflow_executions for select
  using (workflow_id in (select id from workflow.workflows
    where user_id = workflow.current_user_id()
       or team_id = any (workflow.current_team_ids())
       or workflow.is_platform_admin())
    or workflow.share_permission(workflow_id) is not null);
drop policy workflow_executions_change on workflow.workflow_executions;
create policy workflow_executions_change on workflow.workflow_executions for all
  using (workflow_id in (select id from workflow.workflows
    where user_id = workflow.current_user_id()
       or team_id = any (workflow.current_writable_team_ids())
       or workflow.is_platform_admin())
    or workflow.share_permission(workflow_id) in ('run', 'edit'))
  with check (workflow_id in (select id from workflow.workflows
    where user_id = workflow.current_user_id()
       or team_id = any (workflow.current_writable_team_ids())
       or workflow.is_platform_admin())
    or workflow.share_permission(workflow_id) in ('run', 'edit'));

drop policy node_executions_change on workflow.node_executions;
create policy node_executions_change on workflow.node_executions for all
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

-- Shares: seen by their grantees and by those who manage the workflow (its owner, its team's
-- writers); created, changed and revoked only by the latter.
alter table workflow.workflow_shares enable row level security;
alter table workflow.workflow_shares force row level security;
create policy workflow_shares_read on workflow.workflow_shares for select
  using (
    shared_with_user_id = workflow.current_user_id()
    or shared_with_team_id = any (workflow.current_team_ids())
    or workflow_id in (select id from workflow.workflows
      where user_id = workflow.current_user_id()
         or team_id = any (workflow.current_writable_team_ids())
         or workflow.is_platform_admin())
  );
create policy workflow_shares_change on workflow.workflow_shares for all
  using (workflow_id in (select id from workflow.workflows
    where user_id = workflow.current_user_id()
       or team_id = any (workflow.current_writable_team_ids())
       or workflow.is_platform_admin()))
  with check (workflow_id in (select id from workflow.workflows
    where user_id = workflow.current_user_id()
       or team_id = any (workflow.current_writable_team_ids())
       or workflow.is_platform_admin()));

-- Templates: official ones are read by anyone signed in and changed by migrations only; the
-- others by their owner, or their team (viewers read).
alter table workflow.workflow_templates enable row level security;
alter table workflow.workflow_templates force row level security;
create policy workflow_templates_read on workflow.workflow_templates for select
  using (
    (is_official and workflow.current_user_id() is not null)
    or user_id = workflow.current_user_id()
    or team_id = any (workflow.current_team_ids())
    or workflow.is_platform_admin()
  );
create policy workflow_templates_change on workflow.workflow_templates for all
  using (not is_official and (user_id = workflow.current_user_id()
    or team_id = any (workflow.current_writable_team_ids())
    or workflow.is_platform_admin()))
  with check (not is_official and (user_id = workflow.current_user_id()
    or team_id = any (workflow.current_writable_team_ids())
    or workflow.is_platform_admin()));

-- Counting a template's use is not changing it: anyone who may read it counts one use.
create function workflow.count_template_use(p_template_id uuid) returns void
  language sql volatile security definer
  set search_path = workflow, pg_temp
  as $$
    update workflow.workflow_templates t set usage_count = t.usage_count + 1
    where t.id = p_template_id
      and ((t.is_official and workflow.current_user_id() is not null)
           or t.user_id = workflow.current_user_id()
           or t.team_id = any (workflow.current_team_ids())
           or workflow.is_platform_admin())
  $$;
revoke all on function workflow.count_template_use(uuid) from public;
grant execute on function workflow.count_template_use(uuid) to workflow_app;

-- An execution counts on its workflow when its row is inserted, whoever may start it (a run share
-- may not change the workflow's row): the count and the execution commit together.
create function workflow.count_execution() returns trigger
  language plpgsql security definer
  set search_path = workflow, pg_temp
  as $$
  begin
    update workflow.workflows set execution_count = execution_count + 1 where id = new.workflow_id;
    return new;
  end $$;
revoke all on function workflow.count_execution() from public;
create trigger workflow_executions_count after insert on workflow.workflow_executions
  for each row execute function workflow.count_execution();
