-- Row-level security for every user-owned table. The runtime role (email_app) owns no table and
-- cannot bypass these policies; each request sets app.user_id / app.team_ids /
-- app.writable_team_ids / app.platform_admin for its own transaction only (withActor). The sync
-- worker acts as the account's owner (email.account_owner below).
--
-- An account is read by its owner, the members of its team (viewers too) and the platform admin;
-- changed by its owner, its team's members whose role is not viewer, and the platform admin. Its
-- folders and messages follow it. Drafts and outbound mail are their author's (and their team's);
-- templates are their owner's or their team's, and system templates (`key` set) are read by all
-- and changed by the platform admin only.

create function email.current_user_id() returns uuid
  language sql stable
  as $$ select nullif(current_setting('app.user_id', true), '')::uuid $$;

create function email.current_team_ids() returns uuid[]
  language sql stable
  as $$ select coalesce(string_to_array(nullif(current_setting('app.team_ids', true), ''), ',')::uuid[], '{}') $$;

create function email.current_writable_team_ids() returns uuid[]
  language sql stable
  as $$ select coalesce(string_to_array(nullif(current_setting('app.writable_team_ids', true), ''), ',')::uuid[], '{}') $$;

create function email.is_platform_admin() returns boolean
  language sql stable
  as $$ select coalesce(current_setting('app.platform_admin', true), '') = 'true' $$;

-- Accounts, drafts and outbound mail: the owner, the team, the platform admin.
do $$
declare
  t text;
begin
  foreach t in array array['user_email_accounts', 'email_drafts', 'email_outbound'] loop
    execute format('alter table email.%I enable row level security', t);
    execute format('alter table email.%I force row level security', t);
    execute format($p$create policy %I on email.%I for select using (
        user_id = email.current_user_id()
        or team_id = any (email.current_team_ids())
        or email.is_platform_admin())$p$, t || '_read', t);
    execute format($p$create policy %I on email.%I for all using (
        user_id = email.current_user_id()
        or team_id = any (email.current_writable_team_ids())
        or email.is_platform_admin())
      with check (
        user_id = email.current_user_id()
        or team_id = any (email.current_writable_team_ids())
        or email.is_platform_admin())$p$, t || '_change', t);
  end loop;
end $$;

-- Folders and messages follow their account (whose policies apply inside the subqueries).
do $$
declare
  changeable constant text := $c$account_id in (select id from email.user_email_accounts
    where user_id = email.current_user_id()
       or team_id = any (email.current_writable_team_ids())
       or email.is_platform_admin())$c$;
  t text;
begin
  foreach t in array array['email_folders', 'email_messages'] loop
    execute format('alter table email.%I enable row level security', t);
    execute format('alter table email.%I force row level security', t);
    execute format('create policy %I on email.%I for select using (account_id in (select id from email.user_email_accounts))',
                   t || '_read', t);
    execute format('create policy %I on email.%I for all using (%s) with check (%s)',
                   t || '_change', t, changeable, changeable);
  end loop;
end $$;

alter table email.email_templates enable row level security;
alter table email.email_templates force row level security;
create policy email_templates_read on email.email_templates for select
  using (
    key is not null
    or user_id = email.current_user_id()
    or team_id = any (email.current_team_ids())
    or email.is_platform_admin()
  );
create policy email_templates_change on email.email_templates for all
  using (
    (key is null and (user_id = email.current_user_id() or team_id = any (email.current_writable_team_ids())))
    or email.is_platform_admin()
  )
  with check (
    (key is null and (user_id = email.current_user_id() or team_id = any (email.current_writable_team_ids())))
    or email.is_platform_admin()
  );

-- Work that starts without a user (the sync and send jobs, the scheduler) acts as the account's
-- owner: these narrow look-ups answer only whose account it is, and which accounts are active.
create function email.account_owner(p_account_id uuid)
  returns table (user_id uuid, organization_id uuid, team_id uuid)
  language sql stable security definer
  set search_path = email, pg_temp
  as $$ select a.user_id, a.organization_id, a.team_id from email.user_email_accounts a where a.id = p_account_id $$;

create function email.active_account_ids()
  returns setof uuid
  language sql stable security definer
  set search_path = email, pg_temp
  as $$ select a.id from email.user_email_accounts a
        where a.active and a.sync_state <> 'auth_error' order by a.id $$;

revoke all on function email.account_owner(uuid) from public;
revoke all on function email.active_account_ids() from public;
grant execute on function email.account_owner(uuid) to email_app;
grant execute on function email.active_account_ids() to email_app;
