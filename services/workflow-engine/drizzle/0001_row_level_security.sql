-- Row-level security for every user-owned table. The runtime role (workflow_app) owns no table and
-- cannot bypass these policies; each request sets app.user_id / app.team_ids /
-- app.writable_team_ids / app.platform_admin for its own transaction only (withActor).
--
-- A workflow is read by its owner, the members of its team (viewers too), anyone when it is
-- public, and the platform admin; it is changed by its owner, its team's members whose role is not
-- viewer (app.writable_team_ids) and the platform admin. Its versions, nodes and connections follow
-- it. Executions are private to those who may read the workflow as owner or team member: a public
-- workflow shows its graph, never its runs.

create function workflow.current_user_id() returns uuid
  language sql stable
  as $$ select nullif(current_setting('app.user_id', true), '')::uuid $$;

create function workflow.current_team_ids() returns uuid[]
  language sql stable
  as $$ select coalesce(string_to_array(nullif(current_setting('app.team_ids', true), ''), ',')::uuid[], '{}') $$;

create function workflow.current_writable_team_ids() returns uuid[]
  language sql stable
  as $$ select coalesce(string_to_array(nullif(current_setting('app.writable_team_ids', true), ''), ',')::uuid[], '{}') $$;

create function workflow.is_platform_admin() returns boolean
  language sql stable
  as $$ select coalesce(current_setting('app.platform_admin', true), '') = 'true' $$;

alter table workflow.workflows enable row level security;
alter table workflow.workflows force row level security;
create policy workflows_read on workflow.workflows for select
  using (
    user_id = workflow.current_user_id()
    or team_id = any (workflow.current_team_ids())
    or is_public
    or workflow.is_platform_admin()
  );
create policy workflows_change on workflow.workflows for all
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

-- The graph's tables: read with the workflow, changed with it. The subqueries run under the
-- workflow policies above, once per statement.
do $$
declare
  changeable constant text := $c$workflow_id in (select id from workflow.workflows
    where user_id = workflow.current_user_id()
       or team_id = any (workflow.current_writable_team_ids())
       or workflow.is_platform_admin())$c$;
  t text;
begin
  foreach t in array array['workflow_versions', 'workflow_nodes', 'workflow_connections'] loop
    execute format('alter table workflow.%I enable row level security', t);
    execute format('alter table workflow.%I force row level security', t);
    execute format('create policy %I on workflow.%I for select using (workflow_id in (select id from workflow.workflows))',
                   t || '_read', t);
    execute format('create policy %I on workflow.%I for all using (%s) with check (%s)',
                   t || '_change', t, changeable, changeable);
  end loop;
end $$;

alter table workflow.workflow_executions enable row level security;
alter table workflow.workflow_executions force row level security;
create policy workflow_executions_read on workflow.workflow_executions for select
  using (workflow_id in (select id from workflow.workflows
    where user_id = workflow.current_user_id()
       or team_id = any (workflow.current_team_ids())
       or workflow.is_platform_admin()));
create policy workflow_executions_change on workflow.workflow_executions for all
  using (workflow_id in (select id from workflow.workflows
    where user_id = workflow.current_user_id()
       or team_id = any (workflow.current_writable_team_ids())
       or workflow.is_platform_admin()))
  with check (workflow_id in (select id from workflow.workflows
    where user_id = workflow.current_user_id()
       or team_id = any (workflow.current_writable_team_ids())
       or workflow.is_platform_admin()));

-- Node runs follow their execution (whose policies above apply inside the subquery).
alter table workflow.node_executions enable row level security;
alter table workflow.node_executions force row level security;
create policy node_executions_read on workflow.node_executions for select
  using (execution_id in (select id from workflow.workflow_executions));
create policy node_executions_change on workflow.node_executions for all
  using (execution_id in (select e.id from workflow.workflow_executions e
    join workflow.workflows w on w.id = e.workflow_id
    where w.user_id = workflow.current_user_id()
       or w.team_id = any (workflow.current_writable_team_ids())
       or workflow.is_platform_admin()))
  with check (execution_id in (select e.id from workflow.workflow_executions e
    join workflow.workflows w on w.id = e.workflow_id
    where w.user_id = workflow.current_user_id()
       or w.team_id = any (workflow.current_writable_team_ids())
       or workflow.is_platform_admin()));

-- Work that starts without a user (the execution worker, webhooks, schedules) acts as the
-- workflow's owner: this narrow look-up answers only whose workflow it is.
create function workflow.workflow_owner(p_workflow_id uuid)
  returns table (user_id uuid, organization_id uuid, team_id uuid)
  language sql stable security definer
  set search_path = workflow, pg_temp
  as $$ select w.user_id, w.organization_id, w.team_id from workflow.workflows w where w.id = p_workflow_id $$;

revoke all on function workflow.workflow_owner(uuid) from public;
grant execute on function workflow.workflow_owner(uuid) to workflow_app;
