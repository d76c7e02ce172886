-- The sweep job (acting for no user) looks for executions that may have lost their job: queued
-- ones saved but never handed to the queue (or handed over before they were committed), and
-- waiting ones whose time to continue passed long ago. It answers ids and what names their job;
-- the job itself reads and runs the execution as its owner.

create function workflow.unattended_executions(p_before timestamptz, p_limit int)
  returns table (id uuid, workflow_id uuid, status text, wakeups int, resume_at timestamptz)
  language sql stable security definer
  set search_path = workflow, pg_temp
  as $$
    select e.id, e.workflow_id, e.status, e.wakeups, null::timestamptz
    from workflow.workflow_executions e
    where e.status = 'queued' and e.created_at < p_before
    union all
    select e.id, e.workflow_id, e.status, e.wakeups, n.resume_at
    from workflow.workflow_executions e
    join workflow.node_executions n on n.execution_id = e.id and n.status = 'waiting'
    where e.status = 'waiting' and n.resume_at < p_before
    limit p_limit
  $$;

revoke all on function workflow.unattended_executions(timestamptz, int) from public;
grant execute on function workflow.unattended_executions(timestamptz, int) to workflow_app;

create index workflow_executions_queued_idx on workflow.workflow_executions (created_at)
  where status = 'queued';
