-- Row-level security for every user-owned table. The runtime role (conversation_app) owns no
-- table and cannot bypass these policies; each request sets app.user_id, app.org_id, app.team_ids
-- and app.platform_admin for its own transaction only (withActor). Without them no row is visible.

create function conversation.current_user_id() returns uuid
  language sql stable
  as $$ select nullif(current_setting('app.user_id', true), '')::uuid $$;

create function conversation.current_org_id() returns uuid
  language sql stable
  as $$ select nullif(current_setting('app.org_id', true), '')::uuid $$;

create function conversation.current_team_ids() returns uuid[]
  language sql stable
  as $$ select coalesce(string_to_array(nullif(current_setting('app.team_ids', true), ''), ',')::uuid[], '{}') $$;

create function conversation.is_platform_admin() returns boolean
  language sql stable
  as $$ select coalesce(current_setting('app.platform_admin', true), '') = 'true' $$;

-- Bots: the creator's own (no team), a team's (any member; roles are checked in the domain), and
-- for reading only, those shared with the actor's organization.
alter table conversation.bots enable row level security;
alter table conversation.bots force row level security;
create policy bots_manage on conversation.bots
  using (conversation.is_platform_admin()
         or (team_id is null and owner_user_id = conversation.current_user_id())
         or team_id = any (conversation.current_team_ids()))
  with check (conversation.is_platform_admin()
         or (team_id is null and owner_user_id = conversation.current_user_id())
         or team_id = any (conversation.current_team_ids()));
create policy bots_organization_read on conversation.bots for select
  using (visibility = 'organization' and org_id = conversation.current_org_id());

-- A bot the actor may read (the bots policies above apply inside: this is SECURITY INVOKER).
create function conversation.bot_visible(bot uuid) returns boolean
  language sql stable
  as $$ select exists (select 1 from conversation.bots b where b.id = bot) $$;

-- A bot the actor may change: not merely shared with their organization.
create function conversation.bot_manageable(bot uuid) returns boolean
  language sql stable
  as $$ select exists (select 1 from conversation.bots b where b.id = bot
          and (conversation.is_platform_admin()
               or (b.team_id is null and b.owner_user_id = conversation.current_user_id())
               or b.team_id = any (conversation.current_team_ids()))) $$;

alter table conversation.bot_configuration enable row level security;
alter table conversation.bot_configuration force row level security;
create policy bot_configuration_read on conversation.bot_configuration for select
  using (conversation.bot_visible(bot_id));
create policy bot_configuration_write on conversation.bot_configuration
  using (conversation.bot_manageable(bot_id))
  with check (conversation.bot_manageable(bot_id));

alter table conversation.basic_tools enable row level security;
alter table conversation.basic_tools force row level security;
create policy basic_tools_read on conversation.basic_tools for select
  using (conversation.bot_visible(bot_id));
create policy basic_tools_write on conversation.basic_tools
  using (conversation.bot_manageable(bot_id))
  with check (conversation.bot_manageable(bot_id));

-- Bot memories are written by the bot's scripts on behalf of whoever talks to it.
alter table conversation.bot_memories enable row level security;
alter table conversation.bot_memories force row level security;
create policy bot_memories_bot on conversation.bot_memories
  using (conversation.bot_visible(bot_id))
  with check (conversation.bot_visible(bot_id));

alter table conversation.user_memories enable row level security;
alter table conversation.user_memories force row level security;
create policy user_memories_owner on conversation.user_memories
  using (user_id = conversation.current_user_id() or conversation.is_platform_admin())
  with check (user_id = conversation.current_user_id());

-- Conversations are private to the user who had them (the platform admin may read them).
alter table conversation.sessions enable row level security;
alter table conversation.sessions force row level security;
create policy sessions_owner on conversation.sessions
  using (user_id = conversation.current_user_id() or conversation.is_platform_admin())
  with check (user_id = conversation.current_user_id() and conversation.bot_visible(bot_id));

alter table conversation.message_history enable row level security;
alter table conversation.message_history force row level security;
create policy message_history_owner on conversation.message_history
  using (user_id = conversation.current_user_id() or conversation.is_platform_admin())
  with check (user_id = conversation.current_user_id());

alter table conversation.clicks enable row level security;
alter table conversation.clicks force row level security;
create policy clicks_owner on conversation.clicks
  using (user_id = conversation.current_user_id() or conversation.is_platform_admin())
  with check (user_id = conversation.current_user_id());

alter table conversation.session_tool_associations enable row level security;
alter table conversation.session_tool_associations force row level security;
create policy session_tool_associations_owner on conversation.session_tool_associations
  using (user_id = conversation.current_user_id() or conversation.is_platform_admin())
  with check (user_id = conversation.current_user_id());

alter table conversation.user_preferences enable row level security;
alter table conversation.user_preferences force row level security;
create policy user_preferences_owner on conversation.user_preferences
  using (user_id = conversation.current_user_id())
  with check (user_id = conversation.current_user_id());

-- Providers, models and prompts: an organization's are read by its members (changes are checked
-- in the domain: org.manage for providers and models); without organization, the owner's own.
alter table conversation.providers enable row level security;
alter table conversation.providers force row level security;
create policy providers_scope on conversation.providers
  using (conversation.is_platform_admin()
         or (org_id is not null and org_id = conversation.current_org_id())
         or (org_id is null and owner_user_id = conversation.current_user_id()))
  with check (conversation.is_platform_admin()
         or (org_id is not null and org_id = conversation.current_org_id())
         or (org_id is null and owner_user_id = conversation.current_user_id()));

alter table conversation.ai_models enable row level security;
alter table conversation.ai_models force row level security;
create policy ai_models_catalog_read on conversation.ai_models for select
  using (org_id is null and provider_id is null);
create policy ai_models_scope on conversation.ai_models
  using (conversation.is_platform_admin() or org_id = conversation.current_org_id())
  with check (conversation.is_platform_admin() or org_id = conversation.current_org_id());

alter table conversation.prompts enable row level security;
alter table conversation.prompts force row level security;
create policy prompts_scope on conversation.prompts
  using (conversation.is_platform_admin()
         or (org_id is not null and org_id = conversation.current_org_id())
         or (org_id is null and owner_user_id = conversation.current_user_id()))
  with check (conversation.is_platform_admin()
         or (org_id is not null and org_id = conversation.current_org_id())
         or (org_id is null and owner_user_id = conversation.current_user_id()));

-- The built-in offline model: answers from the knowledge base with no network and no key.
insert into conversation.ai_models (id, org_id, provider_id, name, type, config_schema, active)
values ('00000000-0000-7000-8000-000000000001', null, null, 'offline', 'chat', '{}', true)
on conflict (id) do nothing;
