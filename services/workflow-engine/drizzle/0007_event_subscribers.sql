-- Event triggers. The worker's stream consumers act for no user: this narrow look-up answers only
-- which enabled event triggers of active workflows listen to a subject (and their configuration),
-- for workflows that were already active when the event occurred. Starting an execution then acts
-- as the workflow's owner (workflow_owner), under row-level security as any other start.

create index workflow_nodes_event_subject_idx on workflow.workflow_nodes ((config ->> 'subject'))
  where node_type = 'event';

-- Workflows active before activated_at existed count as active since they were last saved.
update workflow.workflows set activated_at = updated_at where status = 'active' and activated_at is null;

create function workflow.event_subscribers(p_subject text, p_occurred_at timestamptz)
  returns table (workflow_id uuid, node_id uuid, config jsonb)
  language sql stable security definer
  set search_path = workflow, pg_temp
  as $$
    select n.workflow_id, n.id, n.config
    from workflow.workflow_nodes n
    join workflow.workflows w on w.id = n.workflow_id
    where n.node_type = 'event'
      and n.config ->> 'subject' = p_subject
      and n.is_enabled
      and w.status = 'active'
      and w.activated_at <= p_occurred_at
  $$;

revoke all on function workflow.event_subscribers(text, timestamptz) from public;
grant execute on function workflow.event_subscribers(text, timestamptz) to workflow_app;
