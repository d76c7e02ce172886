-- Event triggers, a consumer's batch at a time: which enabled event triggers of active workflows
-- listen to any of these subjects, with the time each workflow became active, so that one look-up
-- serves every event of the batch (each started only for workflows active when it occurred).
-- Asking once per event cost a transaction per `workflow.execution.*` event, two per execution,
-- though nothing listens to most of them. event_subscribers stays for workers not yet updated.

create function workflow.event_subscribers_of(p_subjects text[])
  returns table (subject text, workflow_id uuid, node_id uuid, config jsonb, activated_at timestamptz)
  language sql stable security definer
  set search_path = workflow, pg_temp
  as $$
    select n.config ->> 'subject', n.workflow_id, n.id, n.config, w.activated_at
    from workflow.workflow_nodes n
    join workflow.workflows w on w.id = n.workflow_id
    where n.node_type = 'event'
      and n.config ->> 'subject' = any (p_subjects)
      and n.is_enabled
      and w.status = 'active'
  $$;

revoke all on function workflow.event_subscribers_of(text[]) from public;
grant execute on function workflow.event_subscribers_of(text[]) to workflow_app;
