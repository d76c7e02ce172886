-- A table change or a webhook call comes with no user who could see the bot, so finding what to
-- run used to make the whole transaction a platform admin's. These narrow look-ups run as the
-- schema's owner instead and answer only what a handler runs with: the bot's owner, team and
-- organization (whom the script acts as) and the scripts; the service's own transactions keep
-- their row-level security.

-- The bot's ON scripts waiting for p_wanted ([{"table": ..., "events": [change]}]), by name.
create function conversation.bot_table_handlers(p_bot_id uuid, p_wanted jsonb)
  returns table (bot_id uuid, owner_user_id uuid, team_id uuid, org_id uuid, tool_id uuid, name text, script text)
  language sql stable security definer
  set search_path = conversation, pg_temp
  as $$
    select b.id, b.owner_user_id, b.team_id, b.org_id, t.id, t.name, t.script
    from conversation.bots b
    join conversation.basic_tools t on t.bot_id = b.id
    where b.id = p_bot_id and t.metadata -> 'on' @> p_wanted
    order by t.name
  $$;

-- The bot's script that declares WEBHOOK p_name (names are kept lower-case).
create function conversation.bot_webhook_script(p_bot_id uuid, p_name text)
  returns table (bot_id uuid, owner_user_id uuid, team_id uuid, org_id uuid, script text)
  language sql stable security definer
  set search_path = conversation, pg_temp
  as $$
    select b.id, b.owner_user_id, b.team_id, b.org_id, t.script
    from conversation.bots b
    join conversation.basic_tools t on t.bot_id = b.id
    where b.id = p_bot_id and t.metadata ->> 'webhook' = p_name
  $$;

revoke all on function conversation.bot_table_handlers(uuid, jsonb) from public;
revoke all on function conversation.bot_webhook_script(uuid, text) from public;
grant execute on function conversation.bot_table_handlers(uuid, jsonb) to conversation_app;
grant execute on function conversation.bot_webhook_script(uuid, text) to conversation_app;
