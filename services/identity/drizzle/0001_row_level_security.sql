-- Row-level security for every user-owned table. The runtime role (identity_app) owns no table
-- and cannot bypass these policies; each request sets app.user_id / app.org_id for its own
-- transaction only. Anything read before the user is known goes through the narrow
-- SECURITY DEFINER functions at the end of this file.

create function identity.current_user_id() returns uuid
  language sql stable
  as $$ select nullif(current_setting('app.user_id', true), '')::uuid $$;

create function identity.current_org_id() returns uuid
  language sql stable
  as $$ select nullif(current_setting('app.org_id', true), '')::uuid $$;

alter table identity.organizations enable row level security;
alter table identity.organizations force row level security;
create policy organizations_member on identity.organizations
  using (id = identity.current_org_id())
  with check (id = identity.current_org_id());

alter table identity.users enable row level security;
alter table identity.users force row level security;
create policy users_self on identity.users
  using (id = identity.current_user_id())
  with check (id = identity.current_user_id());

alter table identity.user_sessions enable row level security;
alter table identity.user_sessions force row level security;
create policy user_sessions_owner on identity.user_sessions
  using (user_id = identity.current_user_id())
  with check (user_id = identity.current_user_id());

alter table identity.refresh_tokens enable row level security;
alter table identity.refresh_tokens force row level security;
create policy refresh_tokens_owner on identity.refresh_tokens
  using (user_id = identity.current_user_id())
  with check (user_id = identity.current_user_id());

alter table identity.user_login_tokens enable row level security;
alter table identity.user_login_tokens force row level security;
create policy user_login_tokens_owner on identity.user_login_tokens
  using (user_id = identity.current_user_id())
  with check (user_id = identity.current_user_id());

alter table identity.password_resets enable row level security;
alter table identity.password_resets force row level security;
create policy password_resets_owner on identity.password_resets
  using (user_id = identity.current_user_id())
  with check (user_id = identity.current_user_id());

alter table identity.user_preferences enable row level security;
alter table identity.user_preferences force row level security;
create policy user_preferences_owner on identity.user_preferences
  using (user_id = identity.current_user_id())
  with check (user_id = identity.current_user_id());

-- Signing keys are written once and read by every replica; nobody at runtime deletes one.
revoke delete on identity.signing_keys from identity_app;

-- Pre-authentication look-ups: each answers one narrow question and returns only what the
-- flow needs to continue as that user under row-level security.

create function identity.find_login(p_email text)
  returns table (user_id uuid, organization_id uuid, password_hash text, active boolean)
  language sql stable security definer
  set search_path = identity, pg_temp
  as $$ select id, organization_id, password_hash, active from identity.users where lower(email) = lower(p_email) $$;

-- kind: 'refresh' | 'login' | 'reset'; returns the owner of the token with that hash, if any.
create function identity.find_token_owner(p_kind text, p_token_hash text)
  returns uuid
  language sql stable security definer
  set search_path = identity, pg_temp
  as $$
    select user_id from identity.refresh_tokens where p_kind = 'refresh' and token_hash = p_token_hash
    union all
    select user_id from identity.user_login_tokens where p_kind = 'login' and token_hash = p_token_hash
    union all
    select user_id from identity.password_resets where p_kind = 'reset' and token_hash = p_token_hash
    limit 1
  $$;

revoke all on function identity.find_login(text) from public;
revoke all on function identity.find_token_owner(text, text) from public;
grant execute on function identity.find_login(text) to identity_app;
grant execute on function identity.find_token_owner(text, text) to identity_app;
