-- Retention: executions that finished before a time are deleted (their node runs with them) by a
-- scheduled job that acts for no user. This narrow function deletes only finished executions, in
-- batches, oldest first, and answers how many went.

create function workflow.prune_executions(p_before timestamptz, p_limit int) returns int
  language sql volatile security definer
  set search_path = workflow, pg_temp
  as $$
    with gone as (
      delete from workflow.workflow_executions
      where id in (select id from workflow.workflow_executions
                   where status in ('success', 'error', 'canceled') and finished_at < p_before
                   order by finished_at
                   limit p_limit)
      returning 1)
    select count(*)::int from gone
  $$;

revoke all on function workflow.prune_executions(timestamptz, int) from public;
grant execute on function workflow.prune_executions(timestamptz, int) to workflow_app;
