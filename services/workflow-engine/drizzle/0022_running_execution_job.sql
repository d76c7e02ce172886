-- A running execution names the job that took it up last, so the sweep can tell one whose job is
-- still at work from one whose job is gone (removed from the queue by an operator, lost with
-- Redis' data) or ended without the execution (its worker died before the exhausted hook ran):
-- the first is left alone, the second handed to the queue again, the third given up as its job was.

alter table workflow.workflow_executions add column job_id text;

-- Running executions older than p_before, in the order they started, after a position: the
-- sweep walks them a page at a time across its runs, so that however many are running (and
-- rightly, their jobs at work), every one is looked at in turn. Taken up before job ids were kept:
-- which job runs it cannot be told, so it is left out.
create function workflow.running_executions(
  p_before timestamptz, p_after_started timestamptz, p_after_id uuid, p_limit int
) returns table (id uuid, workflow_id uuid, wakeups int, started_at timestamptz, job_id text)
  language sql stable security definer
  set search_path = workflow, pg_temp
  as $$
    select e.id, e.workflow_id, e.wakeups, e.started_at, e.job_id
    from workflow.workflow_executions e
    where e.status = 'running' and e.started_at < p_before and e.job_id is not null
      and (e.started_at, e.id) > (p_after_started, p_after_id)
    order by e.started_at, e.id
    limit p_limit
  $$;

revoke all on function workflow.running_executions(timestamptz, timestamptz, uuid, int) from public;
grant execute on function workflow.running_executions(timestamptz, timestamptz, uuid, int) to workflow_app;

create index workflow_executions_running_idx on workflow.workflow_executions (started_at, id)
  where status = 'running';
