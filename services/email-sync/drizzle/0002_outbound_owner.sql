-- Sending starts without a user (the send job, its sweep, a bot's mail request): these narrow
-- look-ups answer only whose outbound message it is, which ones are due, and which account a bot
-- sends from, so the work can then act as that owner under row-level security.

create function email.outbound_owner(p_outbound_id uuid)
  returns table (user_id uuid, organization_id uuid, team_id uuid)
  language sql stable security definer
  set search_path = email, pg_temp
  as $$ select o.user_id, o.organization_id, o.team_id from email.email_outbound o where o.id = p_outbound_id $$;

-- Queued messages whose time has come, oldest first (the sweep queues a send job for each).
create function email.due_outbound_ids(p_limit integer)
  returns setof uuid
  language sql stable security definer
  set search_path = email, pg_temp
  as $$ select o.id from email.email_outbound o
        where o.status in ('queued', 'sending') and o.send_at <= now()
        order by o.send_at limit p_limit $$;

-- The active account a bot sends from (the newest, if several name it).
create function email.bot_account(p_bot_id uuid)
  returns table (account_id uuid, user_id uuid, organization_id uuid, team_id uuid)
  language sql stable security definer
  set search_path = email, pg_temp
  as $$ select a.id, a.user_id, a.organization_id, a.team_id from email.user_email_accounts a
        where a.bot_id = p_bot_id and a.active order by a.id desc limit 1 $$;

revoke all on function email.outbound_owner(uuid) from public;
revoke all on function email.due_outbound_ids(integer) from public;
revoke all on function email.bot_account(uuid) from public;
grant execute on function email.outbound_owner(uuid) to email_app;
grant execute on function email.due_outbound_ids(integer) to email_app;
grant execute on function email.bot_account(uuid) to email_app;
