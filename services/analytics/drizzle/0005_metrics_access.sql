-- Who sees and changes the metrics layer. Every member of a team (viewers too) reads the team's
-- sources, schemas and explorations; the team's owners and admins manage its sources and schemas
-- (member SQL is theirs to write, trusted like a view definition); owners, admins and members
-- save explorations. The service sets app.team_ids, app.writable_team_ids (asActor) and
-- app.managed_team_ids (asViewer) for its own transaction only.

create function analytics.current_team_ids() returns uuid[]
  language sql stable
  as $$ select coalesce(string_to_array(nullif(current_setting('app.team_ids', true), ''), ',')::uuid[], '{}') $$;

create function analytics.writable_team_ids() returns uuid[]
  language sql stable
  as $$ select coalesce(string_to_array(nullif(current_setting('app.writable_team_ids', true), ''), ',')::uuid[], '{}') $$;

alter table analytics.datasources enable row level security;
alter table analytics.datasources force row level security;
create policy datasources_read on analytics.datasources for select
  using (team_id = any (analytics.current_team_ids()) or analytics.is_platform_admin());
create policy datasources_add on analytics.datasources for insert
  with check (
    db_type = 'postgres'
    and (team_id = any (analytics.managed_team_ids()) or analytics.is_platform_admin())
  );
create policy datasources_change on analytics.datasources for update
  using (team_id = any (analytics.managed_team_ids()) or analytics.is_platform_admin())
  with check (team_id = any (analytics.managed_team_ids()) or analytics.is_platform_admin());
-- The built-in source is never deleted.
create policy datasources_remove on analytics.datasources for delete
  using (
    db_type = 'postgres'
    and (team_id = any (analytics.managed_team_ids()) or analytics.is_platform_admin())
  );

alter table analytics.dataschemas enable row level security;
alter table analytics.dataschemas force row level security;
create policy dataschemas_read on analytics.dataschemas for select
  using (team_id = any (analytics.current_team_ids()) or analytics.is_platform_admin());
create policy dataschemas_manage on analytics.dataschemas for all
  using (team_id = any (analytics.managed_team_ids()) or analytics.is_platform_admin())
  with check (
    (team_id = any (analytics.managed_team_ids()) or analytics.is_platform_admin())
    and datasource_id in (select id from analytics.datasources where datasources.team_id = dataschemas.team_id)
  );

alter table analytics.dataschema_versions enable row level security;
alter table analytics.dataschema_versions force row level security;
create policy dataschema_versions_read on analytics.dataschema_versions for select
  using (team_id = any (analytics.current_team_ids()) or analytics.is_platform_admin());
create policy dataschema_versions_add on analytics.dataschema_versions for insert
  with check (
    (team_id = any (analytics.managed_team_ids()) or analytics.is_platform_admin())
    and dataschema_id in (select id from analytics.dataschemas where dataschemas.team_id = dataschema_versions.team_id)
  );
-- Versions are kept: no update or delete policy (they go with their schema, by cascade).

alter table analytics.explorations enable row level security;
alter table analytics.explorations force row level security;
create policy explorations_read on analytics.explorations for select
  using (team_id = any (analytics.current_team_ids()) or analytics.is_platform_admin());
create policy explorations_change on analytics.explorations for all
  using (team_id = any (analytics.writable_team_ids()) or analytics.is_platform_admin())
  with check (
    (team_id = any (analytics.writable_team_ids()) or analytics.is_platform_admin())
    and dataschema_id in (select id from analytics.dataschemas where dataschemas.team_id = explorations.team_id)
  );

revoke truncate on analytics.datasources, analytics.dataschemas, analytics.dataschema_versions,
  analytics.explorations from analytics_app;
revoke update, delete on analytics.dataschema_versions from analytics_app;

-- Gives a team its built-in source (Conduit's own analytics) and the schema shipped with it, once;
-- any member of the team may cause it (it is there for every team, as if always present).
create function analytics.ensure_conduit_metrics(
  p_team uuid, p_source_id uuid, p_schema_id uuid, p_name text, p_code text, p_cubes jsonb
) returns void
  language plpgsql security definer set search_path = analytics, pg_temp
  as $$
  declare
    actor uuid := analytics.current_user_id();
  begin
    if actor is null or not (p_team = any (analytics.current_team_ids()) or analytics.is_platform_admin()) then
      raise exception 'not a member of this team' using errcode = '42501';
    end if;
    insert into analytics.datasources (id, team_id, user_id, name, db_type)
      values (p_source_id, p_team, actor, 'Conduit analytics', 'conduit')
      on conflict do nothing;
    if not found then
      return;
    end if;
    insert into analytics.dataschemas (id, team_id, datasource_id, user_id, name, format, code, cubes)
      values (p_schema_id, p_team, p_source_id, actor, p_name, 'yaml', p_code, p_cubes);
    insert into analytics.dataschema_versions (dataschema_id, version, team_id, user_id, format, code, cubes)
      values (p_schema_id, 1, p_team, actor, 'yaml', p_code, p_cubes);
  end $$;
