-- Row-level security of apps (0004). Three kinds of actor meet them:
--  * accounts: an app is read by its owner (no team) or its team's members, and changed by its
--    owner or its team's writers (the domain narrows team writers to owners and admins and acts
--    with only those teams writable, so these policies agree);
--  * the public widget API, before any visitor exists: the transaction names the app's public
--    key in app.public_app_key, which shows that app only while it is published;
--  * a visitor (app.user_id is the visitor id of app_visitors): they read the bot of their app,
--    and the models, providers and prompts of the app's owner that its replies may use.

create function conversation.current_public_app_key() returns text
  language sql stable
  as $$ select nullif(current_setting('app.public_app_key', true), '') $$;

create function conversation.app_readable(p_team_id uuid, p_owner_user_id uuid) returns boolean
  language sql stable
  as $$ select conversation.is_platform_admin()
               or (p_team_id is null and p_owner_user_id = conversation.current_user_id())
               or p_team_id = any (conversation.current_team_ids()) $$;

alter table conversation.apps enable row level security;
alter table conversation.apps force row level security;
create policy apps_read on conversation.apps for select
  using (conversation.app_readable(team_id, owner_user_id)
         or (status = 'published' and public_key = conversation.current_public_app_key()));
create policy apps_insert on conversation.apps for insert
  with check (conversation.may_change_bot(team_id, owner_user_id) and conversation.bot_visible(bot_id));
create policy apps_update on conversation.apps for update
  using (conversation.may_change_bot(team_id, owner_user_id))
  with check (conversation.may_change_bot(team_id, owner_user_id) and conversation.bot_visible(bot_id));
create policy apps_delete on conversation.apps for delete
  using (conversation.may_change_bot(team_id, owner_user_id));

-- An app the actor may read (the apps policies apply inside: SECURITY INVOKER).
create function conversation.app_visible(p_app_id uuid) returns boolean
  language sql stable
  as $$ select exists (select 1 from conversation.apps a where a.id = p_app_id) $$;

create function conversation.app_manageable(p_app_id uuid) returns boolean
  language sql stable
  as $$ select exists (select 1 from conversation.apps a
                       where a.id = p_app_id and conversation.may_change_bot(a.team_id, a.owner_user_id)) $$;

alter table conversation.app_appearances enable row level security;
alter table conversation.app_appearances force row level security;
create policy app_appearances_read on conversation.app_appearances for select
  using (conversation.app_visible(app_id));
create policy app_appearances_write on conversation.app_appearances
  using (conversation.app_manageable(app_id)) with check (conversation.app_manageable(app_id));

alter table conversation.app_prompt_engineering_settings enable row level security;
alter table conversation.app_prompt_engineering_settings force row level security;
create policy app_prompt_settings_read on conversation.app_prompt_engineering_settings for select
  using (conversation.app_visible(app_id));
create policy app_prompt_settings_write on conversation.app_prompt_engineering_settings
  using (conversation.app_manageable(app_id)) with check (conversation.app_manageable(app_id));

alter table conversation.app_settings enable row level security;
alter table conversation.app_settings force row level security;
create policy app_settings_read on conversation.app_settings for select
  using (conversation.app_visible(app_id));
create policy app_settings_write on conversation.app_settings
  using (conversation.app_manageable(app_id)) with check (conversation.app_manageable(app_id));

alter table conversation.app_restricted_urls enable row level security;
alter table conversation.app_restricted_urls force row level security;
create policy app_restricted_urls_read on conversation.app_restricted_urls for select
  using (conversation.app_visible(app_id));
create policy app_restricted_urls_write on conversation.app_restricted_urls
  using (conversation.app_manageable(app_id)) with check (conversation.app_manageable(app_id));

alter table conversation.domains enable row level security;
alter table conversation.domains force row level security;
create policy domains_read on conversation.domains for select
  using (conversation.app_visible(app_id));
create policy domains_write on conversation.domains
  using (conversation.app_manageable(app_id)) with check (conversation.app_manageable(app_id));

-- A visitor is admitted to a published app under its public key, as themselves; they see only
-- their own row. The app's managers see its visitors.
alter table conversation.app_visitors enable row level security;
alter table conversation.app_visitors force row level security;
create policy app_visitors_self on conversation.app_visitors
  using (id = conversation.current_user_id())
  with check (id = conversation.current_user_id() and conversation.app_visible(app_id));
create policy app_visitors_managers_read on conversation.app_visitors for select
  using (conversation.app_manageable(app_id));

-- The acting visitor's app, while it is published (nothing for an account): the one narrow look-up
-- the visitor policies below need, since a visitor cannot read apps themselves.
create function conversation.visitor_app()
  returns table (app_id uuid, bot_id uuid, org_id uuid, owner_user_id uuid, team_id uuid)
  language sql stable security definer
  set search_path = conversation, pg_temp
  as $$ select a.id, a.bot_id, a.org_id, a.owner_user_id, a.team_id
        from conversation.app_visitors v join conversation.apps a on a.id = v.app_id
        where v.id = conversation.current_user_id() and a.status = 'published' $$;
revoke all on function conversation.visitor_app() from public;
grant execute on function conversation.visitor_app() to conversation_app;

create policy bots_app_visitor_read on conversation.bots for select
  using (id in (select bot_id from conversation.visitor_app()));

-- The app's model setting names a model of its owner's organization (or of its owner, without one).
create policy ai_models_app_visitor_read on conversation.ai_models for select
  using (org_id is not null and org_id in (select org_id from conversation.visitor_app()));
create policy providers_app_visitor_read on conversation.providers for select
  using (exists (select 1 from conversation.visitor_app() v
                 where (providers.org_id is not null and providers.org_id = v.org_id)
                    or (providers.org_id is null and providers.owner_user_id = v.owner_user_id)));
create policy prompts_app_visitor_read on conversation.prompts for select
  using (exists (select 1 from conversation.visitor_app() v
                 where (prompts.org_id is not null and prompts.org_id = v.org_id)
                    or (prompts.org_id is null and prompts.owner_user_id = v.owner_user_id)));
