-- The platform's global settings (the seed's `global_settings`): one row per setting, its value as
-- JSON. Everyone reads them (sign-up reads them before anyone is signed in; the public ones are
-- served without a token); only platform admins change them, each change audited and announced
-- as identity.settings.changed.
create table identity.global_settings (
  key text primary key check (key in ('site_name', 'default_plan', 'signup_open', 'default_model')),
  value jsonb not null,
  updated_by uuid,
  updated_at timestamptz not null default now()
);

alter table identity.global_settings enable row level security;
alter table identity.global_settings force row level security;
create policy global_settings_read on identity.global_settings for select using (true);
create policy global_settings_manage on identity.global_settings for all
  using (identity.is_platform_admin()) with check (identity.is_platform_admin());

insert into identity.global_settings (key, value) values
  ('site_name', '"Conduit"'),
  ('default_plan', '"free"'),
  ('signup_open', 'true'),
  ('default_model', 'null');

-- The plan new users and teams start on: the setting, while it names a plan, else free.
create function identity.default_plan_id() returns text
  language sql stable security definer set search_path = identity, pg_temp
  as $$ select coalesce((select p.id from identity.global_settings g join identity.plans p on p.id = g.value #>> '{}'
                         where g.key = 'default_plan'), 'free') $$;
revoke all on function identity.default_plan_id() from public;
grant execute on function identity.default_plan_id() to identity_app;
