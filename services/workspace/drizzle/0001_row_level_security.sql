-- Row-level security for every user-owned table. The runtime role (workspace_app) owns no table and
-- cannot bypass these policies; each request sets app.user_id / app.team_ids /
-- app.writable_team_ids for its own transaction only (asActor).
--
-- Preferences and encrypted chats are their user's alone. Projects and media belong to their
-- owner, or to a team when team_id is set: then every member reads them and members other than
-- viewers change them, whoever created them (restrictive policies, AND-ed with the visibility ones). A project's chat and file
-- links carry the project's owner and team and follow the same rule. The platform admin has no
-- way in: a workspace is personal data. Public media is readable by anyone, without an actor.

create function workspace.current_user_id() returns uuid
  language sql stable
  as $$ select nullif(current_setting('app.user_id', true), '')::uuid $$;

create function workspace.current_team_ids() returns uuid[]
  language sql stable
  as $$ select coalesce(string_to_array(nullif(current_setting('app.team_ids', true), ''), ',')::uuid[], '{}') $$;

create function workspace.current_writable_team_ids() returns uuid[]
  language sql stable
  as $$ select coalesce(string_to_array(nullif(current_setting('app.writable_team_ids', true), ''), ',')::uuid[], '{}') $$;

do $$
declare
  t text;
  -- A team's row is decided by the caller's role in the team alone: its creator keeps no way in
  -- once demoted to viewer or out of the team. A personal row is its owner's.
  readable text := 'case when team_id is null then owner_user_id = workspace.current_user_id()'
                   ' else team_id = any (workspace.current_team_ids()) end';
  writable text := 'case when team_id is null then owner_user_id = workspace.current_user_id()'
                   ' else team_id = any (workspace.current_writable_team_ids()) end';
begin
  foreach t in array array['user_preferences', 'theme_settings', 'customization_preferences'] loop
    execute format('alter table workspace.%I enable row level security', t);
    execute format('alter table workspace.%I force row level security', t);
    execute format('create policy %I on workspace.%I using (user_id = workspace.current_user_id()) with check (user_id = workspace.current_user_id())',
                   t || '_own', t);
  end loop;

  alter table workspace.encrypted_chats enable row level security;
  alter table workspace.encrypted_chats force row level security;
  create policy encrypted_chats_own on workspace.encrypted_chats
    using (owner_user_id = workspace.current_user_id())
    with check (owner_user_id = workspace.current_user_id());

  foreach t in array array['media', 'projects', 'project_chats', 'project_files', 'tombstones'] loop
    execute format('alter table workspace.%I enable row level security', t);
    execute format('alter table workspace.%I force row level security', t);
    execute format('create policy %I on workspace.%I using (%s) with check (%s)',
                   t || '_access', t, readable, writable);
    execute format('create policy %I on workspace.%I as restrictive for update using (%s)',
                   t || '_update_by_role', t, writable);
    execute format('create policy %I on workspace.%I as restrictive for delete using (%s)',
                   t || '_delete_by_role', t, writable);
  end loop;

  -- Apps show public media (a logo) to visitors who have no account.
  create policy media_public_read on workspace.media for select using (public);

  -- Not user data, but only the service's own maintenance touches it: no row for an actor.
  alter table workspace.object_deletions enable row level security;
  alter table workspace.object_deletions force row level security;
  create policy object_deletions_system on workspace.object_deletions
    using (workspace.current_user_id() is null) with check (true);
end $$;
