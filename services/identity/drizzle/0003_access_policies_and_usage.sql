-- Who may see and change organizations, teams, roles, subscriptions and the audit trail.
-- Membership questions are answered by SECURITY DEFINER functions so that policies on
-- membership tables can ask them without recursing into their own policies.

create function identity.is_platform_admin() returns boolean
  language sql stable
  as $$ select coalesce(current_setting('app.platform_admin', true), '') = 'true' $$;

create function identity.my_org_ids() returns setof uuid
  language sql stable security definer set search_path = identity, pg_temp
  as $$ select organization_id from identity.organization_members where user_id = identity.current_user_id() $$;

create function identity.my_org_role(p_organization_id uuid) returns text
  language sql stable security definer set search_path = identity, pg_temp
  as $$ select role from identity.organization_members
        where organization_id = p_organization_id and user_id = identity.current_user_id() $$;

create function identity.my_team_ids() returns setof uuid
  language sql stable security definer set search_path = identity, pg_temp
  as $$ select team_id from identity.team_members where user_id = identity.current_user_id() $$;

create function identity.my_team_role(p_team_id uuid) returns text
  language sql stable security definer set search_path = identity, pg_temp
  as $$ select role from identity.team_members where team_id = p_team_id and user_id = identity.current_user_id() $$;

-- A user may add themselves to an organization or team only as the owner of one created in this
-- very transaction (it has no member yet), or in the role of an invite they accepted in this very
-- transaction (`now()` is the transaction's start: an invite accepted earlier, e.g. before being
-- removed, does not let anyone back in).
create function identity.may_join_organization(p_organization_id uuid, p_role text) returns boolean
  language sql stable security definer set search_path = identity, pg_temp
  as $$ select (p_role = 'owner'
                and not exists (select 1 from identity.organization_members where organization_id = p_organization_id)
                and exists (select 1 from identity.organizations where id = p_organization_id and created_at = now()))
            or exists (select 1 from identity.invites where organization_id = p_organization_id
                       and accepted_by = identity.current_user_id() and accepted_at = now()
                       and p_role = case when team_id is null then role else 'member' end) $$;

create function identity.may_join_team(p_team_id uuid, p_role text) returns boolean
  language sql stable security definer set search_path = identity, pg_temp
  as $$ select (p_role = 'owner'
                and not exists (select 1 from identity.team_members where team_id = p_team_id)
                and exists (select 1 from identity.teams where id = p_team_id and created_at = now()
                            and created_by = identity.current_user_id()))
            or exists (select 1 from identity.invites where team_id = p_team_id
                       and accepted_by = identity.current_user_id() and accepted_at = now() and role = p_role) $$;

create function identity.my_email() returns text
  language sql stable security definer set search_path = identity, pg_temp
  as $$ select email from identity.users where id = identity.current_user_id() $$;

-- organizations: members read; anyone signed in creates; owners and admins change.
drop policy organizations_member on identity.organizations;
create policy organizations_read on identity.organizations for select
  using (id in (select identity.my_org_ids()) or identity.is_platform_admin());
create policy organizations_create on identity.organizations for insert
  with check (identity.current_user_id() is not null);
create policy organizations_manage on identity.organizations for update
  using (identity.my_org_role(id) in ('owner', 'admin') or identity.is_platform_admin());

-- users: besides themselves, people see the members of their organizations (names in lists).
create policy users_colleagues on identity.users for select
  using (id in (select m.user_id from identity.organization_members m
                where m.organization_id in (select identity.my_org_ids()))
         or identity.is_platform_admin());

alter table identity.organization_members enable row level security;
alter table identity.organization_members force row level security;
create policy organization_members_read on identity.organization_members for select
  using (organization_id in (select identity.my_org_ids()) or identity.is_platform_admin());
create policy organization_members_add on identity.organization_members for insert
  with check (identity.my_org_role(organization_id) in ('owner', 'admin')
              or (user_id = identity.current_user_id() and identity.may_join_organization(organization_id, role))
              or identity.is_platform_admin());
create policy organization_members_change on identity.organization_members for update
  using (identity.my_org_role(organization_id) in ('owner', 'admin') or identity.is_platform_admin());
create policy organization_members_remove on identity.organization_members for delete
  using (user_id = identity.current_user_id() or identity.my_org_role(organization_id) in ('owner', 'admin')
         or identity.is_platform_admin());

alter table identity.teams enable row level security;
alter table identity.teams force row level security;
create policy teams_read on identity.teams for select
  using (id in (select identity.my_team_ids()) or identity.my_org_role(organization_id) in ('owner', 'admin')
         or identity.is_platform_admin());
create policy teams_create on identity.teams for insert
  with check (organization_id in (select identity.my_org_ids()) or identity.is_platform_admin());
create policy teams_manage on identity.teams for update
  using (identity.my_team_role(id) in ('owner', 'admin') or identity.is_platform_admin());
create policy teams_delete on identity.teams for delete
  using (identity.my_team_role(id) = 'owner' or identity.is_platform_admin());

alter table identity.team_members enable row level security;
alter table identity.team_members force row level security;
create policy team_members_read on identity.team_members for select
  using (team_id in (select identity.my_team_ids()) or identity.is_platform_admin());
create policy team_members_add on identity.team_members for insert
  with check (identity.my_team_role(team_id) in ('owner', 'admin')
              or (user_id = identity.current_user_id() and identity.may_join_team(team_id, role))
              or identity.is_platform_admin());
create policy team_members_change on identity.team_members for update
  using (identity.my_team_role(team_id) in ('owner', 'admin') or identity.is_platform_admin());
create policy team_members_remove on identity.team_members for delete
  using (user_id = identity.current_user_id() or identity.my_team_role(team_id) in ('owner', 'admin')
         or identity.is_platform_admin());

alter table identity.invites enable row level security;
alter table identity.invites force row level security;
create policy invites_managers on identity.invites for all
  using (identity.my_org_role(organization_id) in ('owner', 'admin')
         or (team_id is not null and identity.my_team_role(team_id) in ('owner', 'admin'))
         or identity.is_platform_admin())
  with check ((identity.my_org_role(organization_id) in ('owner', 'admin')
               or (team_id is not null and identity.my_team_role(team_id) in ('owner', 'admin'))
               or identity.is_platform_admin())
              -- a team's invite is into that team's own organization, not one its admin picks
              and (team_id is null
                   or exists (select 1 from identity.teams t where t.id = team_id and t.organization_id = invites.organization_id)));
-- The invitee sees and accepts an open invite addressed to their email, for themselves only;
-- accepting changes nothing but who accepted and when (column rights below), so an invitee
-- cannot point the invite at another organization, team or role first.
create policy invites_invitee_read on identity.invites for select
  using (lower(email) = lower(identity.my_email()) or accepted_by = identity.current_user_id());
create policy invites_invitee_accept on identity.invites for update
  using (accepted_at is null and expires_at > now() and lower(email) = lower(identity.my_email()))
  with check (accepted_by = identity.current_user_id());
revoke update on identity.invites from identity_app;
grant update (accepted_at, accepted_by) on identity.invites to identity_app;

-- The invitee has no access to the invite before accepting: the token's hash finds it.
create function identity.find_invite(p_token_hash text)
  returns table (id uuid, email text, organization_id uuid)
  language sql stable security definer set search_path = identity, pg_temp
  as $$ select id, email, organization_id from identity.invites
        where token_hash = p_token_hash and accepted_at is null and expires_at > now() $$;
revoke all on function identity.find_invite(text) from public;
grant execute on function identity.find_invite(text) to identity_app;

-- Removing someone from a team ends their sessions, so the next refresh cannot carry the old
-- membership; the remover cannot see those sessions, hence this narrow function. Returns the
-- ids of the sessions it ended.
create function identity.revoke_all_sessions(p_user_id uuid, p_reason text) returns setof uuid
  language sql security definer set search_path = identity, pg_temp
  as $$
    with ended as (
      update identity.user_sessions set revoked_at = now(), revoked_reason = p_reason
      where user_id = p_user_id and revoked_at is null
        -- only for someone the caller manages: an owner or admin of a team in an organization
        -- the user still belongs to, of that organization itself, or the platform admin
        and (identity.is_platform_admin()
             or exists (select 1 from identity.organization_members m where m.user_id = p_user_id
                        and (identity.my_org_role(m.organization_id) in ('owner', 'admin')
                             or exists (select 1 from identity.teams t where t.organization_id = m.organization_id
                                        and identity.my_team_role(t.id) in ('owner', 'admin')))))
      returning id
    ), spent as (
      update identity.refresh_tokens set revoked_at = now()
      where session_id in (select id from ended) and revoked_at is null
    )
    select id from ended
  $$;
revoke all on function identity.revoke_all_sessions(uuid, text) from public;
grant execute on function identity.revoke_all_sessions(uuid, text) to identity_app;

-- Roles: members read their organization's roles and the platform's; owners manage their
-- organization's; only the platform admin manages platform roles.
alter table identity.roles enable row level security;
alter table identity.roles force row level security;
create policy roles_read on identity.roles for select
  using (organization_id is null or organization_id in (select identity.my_org_ids()) or identity.is_platform_admin());
create policy roles_manage on identity.roles for all
  using ((organization_id is not null and identity.my_org_role(organization_id) = 'owner') or identity.is_platform_admin())
  with check ((organization_id is not null and identity.my_org_role(organization_id) = 'owner') or identity.is_platform_admin());

alter table identity.permission_role enable row level security;
alter table identity.permission_role force row level security;
create policy permission_role_read on identity.permission_role for select
  using (role_id in (select id from identity.roles));
create policy permission_role_manage on identity.permission_role for all
  using (role_id in (select r.id from identity.roles r
                     where (r.organization_id is not null and identity.my_org_role(r.organization_id) = 'owner'))
         or identity.is_platform_admin())
  with check (role_id in (select r.id from identity.roles r
                          where (r.organization_id is not null and identity.my_org_role(r.organization_id) = 'owner'))
              or identity.is_platform_admin());

alter table identity.role_user enable row level security;
alter table identity.role_user force row level security;
create policy role_user_read on identity.role_user for select
  using (user_id = identity.current_user_id()
         or role_id in (select r.id from identity.roles r where r.organization_id in (select identity.my_org_ids()))
         or identity.is_platform_admin());
create policy role_user_manage on identity.role_user for all
  using (role_id in (select r.id from identity.roles r
                     where r.organization_id is not null and identity.my_org_role(r.organization_id) = 'owner')
         or identity.is_platform_admin())
  with check (role_id in (select r.id from identity.roles r
                          where r.organization_id is not null and identity.my_org_role(r.organization_id) = 'owner')
              or identity.is_platform_admin());

alter table identity.permission_user enable row level security;
alter table identity.permission_user force row level security;
create policy permission_user_read on identity.permission_user for select
  using (user_id = identity.current_user_id() or identity.my_org_role(organization_id) in ('owner', 'admin')
         or identity.is_platform_admin());
create policy permission_user_manage on identity.permission_user for all
  using (identity.my_org_role(organization_id) = 'owner' or identity.is_platform_admin())
  with check (identity.my_org_role(organization_id) = 'owner' or identity.is_platform_admin());

-- The permission catalog is public and fixed at runtime.
revoke insert, update, delete on identity.permissions from identity_app;

alter table identity.plans enable row level security;
alter table identity.plans force row level security;
create policy plans_read on identity.plans for select using (true);
create policy plans_manage on identity.plans for all using (identity.is_platform_admin()) with check (identity.is_platform_admin());

-- Subscriptions and counters: their subject reads them; only the platform admin (or the
-- functions below) changes them.
alter table identity.user_subscriptions enable row level security;
alter table identity.user_subscriptions force row level security;
create policy user_subscriptions_read on identity.user_subscriptions for select
  using ((subject_type = 'user' and subject_id = identity.current_user_id())
         or (subject_type = 'team' and subject_id in (select identity.my_team_ids()))
         or identity.is_platform_admin());
create policy user_subscriptions_manage on identity.user_subscriptions for all
  using (identity.is_platform_admin()) with check (identity.is_platform_admin());

alter table identity.usage_counters enable row level security;
alter table identity.usage_counters force row level security;
create policy usage_counters_read on identity.usage_counters for select
  using (subscription_id in (select id from identity.user_subscriptions));
create policy usage_counters_manage on identity.usage_counters for all
  using (identity.is_platform_admin()) with check (identity.is_platform_admin());

-- The audit trail is append-only: rows are added (also before sign-in, e.g. a failed login)
-- and read by their user or the platform admin; never changed or removed at runtime.
alter table identity.user_account_activities enable row level security;
alter table identity.user_account_activities force row level security;
create policy user_account_activities_read on identity.user_account_activities for select
  using (user_id = identity.current_user_id() or identity.is_platform_admin());
create policy user_account_activities_append on identity.user_account_activities for insert
  with check (true);
revoke update, delete on identity.user_account_activities from identity_app;

-- Usage ------------------------------------------------------------------------------------------

-- Sets a subscription's counters to its plan's limits (new metrics appear, dropped ones go).
create function identity.apply_plan_limits(p_subscription_id uuid) returns void
  language sql security definer set search_path = identity, pg_temp
  as $$
    delete from identity.usage_counters c
      where c.subscription_id = p_subscription_id
        and c.metric not in (select jsonb_object_keys(p.limits) from identity.plans p
                             join identity.user_subscriptions s on s.plan_id = p.id where s.id = p_subscription_id);
    insert into identity.usage_counters (subscription_id, metric, used, "limit")
      select s.id, l.key, 0, l.value::bigint
      from identity.user_subscriptions s join identity.plans p on p.id = s.plan_id, jsonb_each_text(p.limits) l
      where s.id = p_subscription_id
    on conflict (subscription_id, metric) do update set "limit" = excluded."limit";
  $$;

-- Creates the subscription of a user or team on a plan, if it has none yet; returns its id.
create function identity.ensure_subscription(p_id uuid, p_subject_type text, p_subject_id uuid, p_plan_id text)
  returns uuid
  language plpgsql security definer set search_path = identity, pg_temp
  as $$
  declare
    v_id uuid;
  begin
    insert into identity.user_subscriptions (id, subject_type, subject_id, plan_id, period_start, period_end)
      values (p_id, p_subject_type, p_subject_id, p_plan_id, now(), now() + interval '1 month')
      on conflict (subject_type, subject_id) do nothing
      returning id into v_id;
    if v_id is null then
      select id into v_id from identity.user_subscriptions where subject_type = p_subject_type and subject_id = p_subject_id;
    else
      perform identity.apply_plan_limits(v_id);
    end if;
    return v_id;
  end;
  $$;

-- Starts the next monthly period of every subscription whose period has ended (or of one),
-- zeroing its counters. Returns how many periods were reset.
create function identity.roll_usage_periods(p_subscription_id uuid default null) returns integer
  language plpgsql security definer set search_path = identity, pg_temp
  as $$
  declare
    v_rolled integer := 0;
    v_subscription record;
    v_start timestamptz;
  begin
    for v_subscription in
      select id, period_end from identity.user_subscriptions
      where period_end <= now() and (p_subscription_id is null or id = p_subscription_id)
      for update skip locked
    loop
      -- Whole calendar months, as many as have passed, so the new period contains now.
      v_start := v_subscription.period_end;
      while v_start + interval '1 month' <= now() loop
        v_start := v_start + interval '1 month';
      end loop;
      update identity.user_subscriptions
        set period_start = v_start, period_end = v_start + interval '1 month', updated_at = now()
        where id = v_subscription.id;
      update identity.usage_counters set used = 0 where subscription_id = v_subscription.id;
      perform identity.apply_plan_limits(v_subscription.id);
      v_rolled := v_rolled + 1;
    end loop;
    return v_rolled;
  end;
  $$;

-- Reserves `p_amount` of a metric atomically: granted only if it fits in what is left, so the
-- counter never passes its limit however many reservations race (a conditional UPDATE re-checks
-- the row after waiting for a concurrent one). A period that has ended is rolled first.
create function identity.reserve_usage(p_subject_type text, p_subject_id uuid, p_metric text, p_amount bigint)
  returns table (found boolean, granted boolean, remaining bigint, "limit" bigint, period_end timestamptz)
  language plpgsql security definer set search_path = identity, pg_temp
  as $$
  declare
    v_subscription record;
    v_counter record;
  begin
    select s.id, s.period_end into v_subscription from identity.user_subscriptions s
      where s.subject_type = p_subject_type and s.subject_id = p_subject_id;
    if v_subscription.id is null then
      return query select false, false, 0::bigint, 0::bigint, null::timestamptz;
      return;
    end if;
    if v_subscription.period_end <= now() then
      perform identity.roll_usage_periods(v_subscription.id);
      select s.id, s.period_end into v_subscription from identity.user_subscriptions s where s.id = v_subscription.id;
    end if;
    update identity.usage_counters c set used = c.used + p_amount
      where c.subscription_id = v_subscription.id and c.metric = p_metric and c.used + p_amount <= c."limit"
      returning c.used, c."limit" into v_counter;
    if v_counter is not null then
      return query select true, true, v_counter."limit" - v_counter.used, v_counter."limit", v_subscription.period_end;
      return;
    end if;
    select c.used, c."limit" into v_counter from identity.usage_counters c
      where c.subscription_id = v_subscription.id and c.metric = p_metric;
    if v_counter is null then
      return query select false, false, 0::bigint, 0::bigint, v_subscription.period_end;
      return;
    end if;
    return query select true, false, v_counter."limit" - v_counter.used, v_counter."limit", v_subscription.period_end;
  end;
  $$;

revoke all on function identity.apply_plan_limits(uuid) from public;
revoke all on function identity.ensure_subscription(uuid, text, uuid, text) from public;
revoke all on function identity.roll_usage_periods(uuid) from public;
revoke all on function identity.reserve_usage(text, uuid, text, bigint) from public;
grant execute on function identity.apply_plan_limits(uuid) to identity_app;
grant execute on function identity.ensure_subscription(uuid, text, uuid, text) to identity_app;
grant execute on function identity.roll_usage_periods(uuid) to identity_app;
grant execute on function identity.reserve_usage(text, uuid, text, bigint) to identity_app;

-- Operators name the first platform admins by email (PLATFORM_ADMIN_EMAILS); identity grants
-- them the role at registration or sign-in through this function, as nobody could grant it yet.
create function identity.grant_platform_admin(p_user_id uuid) returns void
  language sql security definer set search_path = identity, pg_temp
  as $$ insert into identity.role_user (role_id, user_id)
        select '01900000-0000-7000-8000-000000000001', p_user_id where p_user_id = identity.current_user_id()
        on conflict do nothing $$;
revoke all on function identity.grant_platform_admin(uuid) from public;
grant execute on function identity.grant_platform_admin(uuid) to identity_app;

-- Seeds -----------------------------------------------------------------------------------------

insert into identity.permissions (name, description) values
  ('org.manage', 'Rename an organization and manage its members and invites'),
  ('teams.manage', 'Create teams and manage their members'),
  ('roles.manage', 'Define roles and grant roles and permissions'),
  ('usage.manage', 'See and change plans and usage'),
  ('bots.read', 'Read bots, their configuration and conversations'),
  ('bots.write', 'Create and change bots, scripts, tools and memories'),
  ('kb.read', 'Read and search knowledge bases'),
  ('kb.write', 'Create knowledge bases and add or remove documents'),
  ('workflows.read', 'Read workflows and their executions'),
  ('workflows.write', 'Create and change workflows'),
  ('workflows.execute', 'Run workflows'),
  ('email.read', 'Read mail accounts and messages'),
  ('email.write', 'Connect mail accounts and write drafts'),
  ('email.send', 'Send mail'),
  ('analytics.read', 'Read usage analytics and reports');

insert into identity.plans (id, name, limits) values
  ('free', 'Free', '{"executions": 1000, "messages": 2000, "ai_credits": 500, "storage_mb": 100}'),
  ('pro', 'Pro', '{"executions": 50000, "messages": 100000, "ai_credits": 20000, "storage_mb": 10240}'),
  ('team', 'Team', '{"executions": 200000, "messages": 500000, "ai_credits": 100000, "storage_mb": 51200}');

-- The built-in platform administrator role: every permission, everywhere.
insert into identity.roles (id, organization_id, name, description, built_in) values
  ('01900000-0000-7000-8000-000000000001', null, 'admin', 'Platform administrator', true);
insert into identity.permission_role (permission_name, role_id)
  select name, '01900000-0000-7000-8000-000000000001' from identity.permissions;

-- Accounts made before organizations had members: each owns its own organization, on the free plan.
insert into identity.organization_members (organization_id, user_id, role)
  select organization_id, id, 'owner' from identity.users on conflict do nothing;
select identity.ensure_subscription(gen_random_uuid(), 'user', id, 'free') from identity.users;
