-- A running execution names the job that took it up last, so the sweep can tell one whose job is
-- still at work from one whose job is gone (removed from the queue by an operator, lost with
-- Redis' data) or ended without the execution (its worker died before the exhausted hook ran):
-- the first is left alone, the second handed to the queue again, the third given up as its job was.

alter table workflow.workflow_executions add column job_id text;

drop function workflow.unattended_executions(timestamptz, int);

create function workflow.unattended_executions(p_before timestamptz, p_limit int)
  returns table (id uuid, workflow_id uuid, status text, wakeups int, resume_at timestamptz, job_id text)
  language sql stable security definer
  set search_path = workflow, pg_temp
  as $$
    select e.id, e.workflow_id, e.status, e.wakeups, null::timestamptz, null::text
    from workflow.workflow_executions e
    where e.status = 'queued' and e.created_at < p_before
    union all
    select e.id, e.workflow_id, e.status, e.wakeups, n.resume_at, null::text
    from workflow.workflow_executions e
    join workflow.node_executions n on n.execution_id = e.id and n.status = 'waiting'
    where e.status = 'waiting' and n.resume_at < p_before
    union all
    select e.id, e.workflow_id, e.status, e.wakeups, null::timestamptz, e.job_id
    from workflow.workflow_executions e
    -- Taken up before job ids were kept: which job runs it cannot be told, so it is left alone.
    where e.status = 'running' and e.started_at < p_before and e.job_id is not null
    limit p_limit
  $$;

revoke all on function workflow.unattended_executions(timestamptz, int) from public;
grant execute on function workflow.unattended_executions(timestamptz, int) to workflow_app;

create index workflow_executions_running_idx on workflow.workflow_executions (started_at)
  where status = 'running';
