-- Event triggers, a consumer's batch at a time: for each event of a batch (its index, subject and
-- time), the enabled event triggers of active workflows that listen to its subject and were active
-- when it occurred, as event_subscribers answers for one event. Asking once per event cost a
-- transaction per `workflow.execution.*` event, two per execution, though nothing listens to most
-- of them. event_subscribers stays for workers not yet updated.

create function workflow.event_subscribers_of(p_events jsonb)
  returns table (event_index int, workflow_id uuid, node_id uuid, config jsonb)
  language sql stable security definer
  set search_path = workflow, pg_temp
  as $$
    select e.event_index, n.workflow_id, n.id, n.config
    from jsonb_to_recordset(p_events) as e (event_index int, subject text, occurred_at timestamptz)
    join workflow.workflow_nodes n on n.node_type = 'event' and n.config ->> 'subject' = e.subject
    join workflow.workflows w on w.id = n.workflow_id
    where n.is_enabled
      and w.status = 'active'
      and w.activated_at <= e.occurred_at
  $$;

revoke all on function workflow.event_subscribers_of(jsonb) from public;
grant execute on function workflow.event_subscribers_of(jsonb) to workflow_app;
