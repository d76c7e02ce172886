-- Row-level security for every user-owned table. The runtime role (knowledge_app) owns no table
-- and cannot bypass these policies; each request sets app.user_id / app.org_id / app.team_ids /
-- app.platform_admin for its own transaction only (withActor). A collection is visible to its
-- owner, to the members of its team when it is a team collection, and to the platform admin;
-- every other table follows the collection it belongs to. Team roles (a viewer only reads) are
-- enforced in the domain layer: the token's roles are not in the transaction settings.

create function knowledge.current_user_id() returns uuid
  language sql stable
  as $$ select nullif(current_setting('app.user_id', true), '')::uuid $$;

create function knowledge.current_team_ids() returns uuid[]
  language sql stable
  as $$ select coalesce(string_to_array(nullif(current_setting('app.team_ids', true), ''), ',')::uuid[], '{}') $$;

create function knowledge.is_platform_admin() returns boolean
  language sql stable
  as $$ select coalesce(current_setting('app.platform_admin', true), '') = 'true' $$;

alter table knowledge.kb_collections enable row level security;
alter table knowledge.kb_collections force row level security;
create policy kb_collections_access on knowledge.kb_collections
  using (
    owner_user_id = knowledge.current_user_id()
    or (visibility = 'team' and team_id = any (knowledge.current_team_ids()))
    or knowledge.is_platform_admin()
  )
  with check (
    owner_user_id = knowledge.current_user_id()
    or (visibility = 'team' and team_id = any (knowledge.current_team_ids()))
    or knowledge.is_platform_admin()
  );

-- The subquery runs under the collection policy above, once per statement (a hashed subplan).
alter table knowledge.knowledge_base_settings enable row level security;
alter table knowledge.knowledge_base_settings force row level security;
create policy knowledge_base_settings_access on knowledge.knowledge_base_settings
  using (collection_id in (select id from knowledge.kb_collections))
  with check (collection_id in (select id from knowledge.kb_collections));

alter table knowledge.datasources enable row level security;
alter table knowledge.datasources force row level security;
create policy datasources_access on knowledge.datasources
  using (collection_id in (select id from knowledge.kb_collections))
  with check (collection_id in (select id from knowledge.kb_collections));

alter table knowledge.kb_documents enable row level security;
alter table knowledge.kb_documents force row level security;
create policy kb_documents_access on knowledge.kb_documents
  using (collection_id in (select id from knowledge.kb_collections))
  with check (collection_id in (select id from knowledge.kb_collections));

alter table knowledge.kb_document_originals enable row level security;
alter table knowledge.kb_document_originals force row level security;
create policy kb_document_originals_access on knowledge.kb_document_originals
  using (collection_id in (select id from knowledge.kb_collections))
  with check (collection_id in (select id from knowledge.kb_collections));

alter table knowledge.kb_chunks enable row level security;
alter table knowledge.kb_chunks force row level security;
create policy kb_chunks_access on knowledge.kb_chunks
  using (collection_id in (select id from knowledge.kb_collections))
  with check (collection_id in (select id from knowledge.kb_collections));

-- A session's links belong to the session's user, and only to collections that user can see.
alter table knowledge.user_kb_associations enable row level security;
alter table knowledge.user_kb_associations force row level security;
create policy user_kb_associations_owner on knowledge.user_kb_associations
  using (user_id = knowledge.current_user_id() or knowledge.is_platform_admin())
  with check (
    (user_id = knowledge.current_user_id() or knowledge.is_platform_admin())
    and collection_id in (select id from knowledge.kb_collections)
  );

-- Narrow look-ups for work that starts without a user: each answers one question.

-- The indexing worker acts as the owner of the collection a document belongs to.
create function knowledge.document_owner(p_document_id uuid)
  returns table (user_id uuid, organization_id uuid, team_id uuid)
  language sql stable security definer
  set search_path = knowledge, pg_temp
  as $$
    select c.owner_user_id, c.organization_id, c.team_id
    from knowledge.kb_documents d join knowledge.kb_collections c on c.id = d.collection_id
    where d.id = p_document_id
  $$;

create function knowledge.datasource_owner(p_datasource_id uuid)
  returns table (user_id uuid, organization_id uuid, team_id uuid)
  language sql stable security definer
  set search_path = knowledge, pg_temp
  as $$
    select c.owner_user_id, c.organization_id, c.team_id
    from knowledge.datasources s join knowledge.kb_collections c on c.id = s.collection_id
    where s.id = p_datasource_id
  $$;

-- Whose session is this? (A session id is claimed by the first user who links a collection to it.)
create function knowledge.session_user_id(p_session_id uuid)
  returns uuid
  language sql stable security definer
  set search_path = knowledge, pg_temp
  as $$ select user_id from knowledge.user_kb_associations where session_id = p_session_id limit 1 $$;

revoke all on function knowledge.document_owner(uuid) from public;
revoke all on function knowledge.datasource_owner(uuid) from public;
revoke all on function knowledge.session_user_id(uuid) from public;
grant execute on function knowledge.document_owner(uuid) to knowledge_app;
grant execute on function knowledge.datasource_owner(uuid) to knowledge_app;
grant execute on function knowledge.session_user_id(uuid) to knowledge_app;
