-- Team roles in row-level security: a team's viewers read and talk to its bots but change neither
-- the bots nor their configuration and tools. withActor sets app.writable_team_ids to the teams
-- whose role is not viewer. Bot memories stay writable by whoever may talk to the bot (its scripts
-- write them on the speaker's behalf).

create function conversation.current_writable_team_ids() returns uuid[]
  language sql stable
  as $$ select coalesce(string_to_array(nullif(current_setting('app.writable_team_ids', true), ''), ',')::uuid[], '{}') $$;

-- May the actor change a bot of this team (or, without team, of this owner)?
create function conversation.may_change_bot(p_team_id uuid, p_owner_user_id uuid) returns boolean
  language sql stable
  as $$ select conversation.is_platform_admin()
               or (p_team_id is null and p_owner_user_id = conversation.current_user_id())
               or p_team_id = any (conversation.current_writable_team_ids()) $$;

-- Guards the writes to bot_configuration and basic_tools (0001).
create or replace function conversation.bot_manageable(bot uuid) returns boolean
  language sql stable
  as $$ select exists (select 1 from conversation.bots b
                       where b.id = bot and conversation.may_change_bot(b.team_id, b.owner_user_id)) $$;

-- Restrictive: AND-ed with bots_manage, which lets every team member see the team's bots.
create policy bots_insert_by_role on conversation.bots as restrictive for insert
  with check (conversation.may_change_bot(team_id, owner_user_id));
create policy bots_update_by_role on conversation.bots as restrictive for update
  using (conversation.may_change_bot(team_id, owner_user_id))
  with check (conversation.may_change_bot(team_id, owner_user_id));
create policy bots_delete_by_role on conversation.bots as restrictive for delete
  using (conversation.may_change_bot(team_id, owner_user_id));
