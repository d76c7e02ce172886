-- Team roles in row-level security: a team's viewers read its collections but change nothing in
-- them. withActor sets app.writable_team_ids to the teams whose role is not viewer; restrictive
-- policies (AND-ed with the visibility policies of 0001) let inserts, updates and deletes touch
-- only collections the actor owns, may change through a team, or (platform admin) any.
-- Session links (user_kb_associations) are not changes to a collection: viewers may attach one.

create function knowledge.current_writable_team_ids() returns uuid[]
  language sql stable
  as $$ select coalesce(string_to_array(nullif(current_setting('app.writable_team_ids', true), ''), ',')::uuid[], '{}') $$;

-- The rule is written into each policy rather than called as a function: a subquery in a policy
-- runs once per statement (a hashed subplan), a function call once per row, and indexing inserts
-- thousands of rows at a time.
do $$
declare
  changeable constant text := $c$
    owner_user_id = knowledge.current_user_id()
    or (visibility = 'team' and team_id = any (knowledge.current_writable_team_ids()))
    or knowledge.is_platform_admin()$c$;
  tables constant text[] := array['knowledge_base_settings', 'datasources', 'kb_documents',
                                  'kb_document_originals', 'kb_chunks', 'kb_terms'];
  t text;
  rule text;
begin
  foreach t in array array['kb_collections'] || tables loop
    rule := case when t = 'kb_collections' then changeable
                 else format('collection_id in (select id from knowledge.kb_collections where %s)', changeable) end;
    execute format('create policy %I on knowledge.%I as restrictive for insert with check (%s)',
                   t || '_insert_by_role', t, rule);
    execute format('create policy %I on knowledge.%I as restrictive for update using (%s) with check (%s)',
                   t || '_update_by_role', t, rule, rule);
    execute format('create policy %I on knowledge.%I as restrictive for delete using (%s)',
                   t || '_delete_by_role', t, rule);
  end loop;
end $$;
