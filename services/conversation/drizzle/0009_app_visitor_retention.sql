-- Widget visitors are anonymous and short-lived: a visitor exists for one visitor token
-- (APP_VISITOR_TOKEN_TTL) and can never act as themselves again once it lapses, and their chat
-- sessions are readable by nobody else. The worker's job removes visitors older than
-- APP_VISITOR_RETENTION (with no session active since), and everything only they own: their
-- sessions (messages, clicks and tool links go with them), memories and preferences.

create index app_visitors_created_idx on conversation.app_visitors (created_at);

-- Runs with no actor (a job), as the schema's owner: the narrow upkeep of visitors past p_before,
-- up to p_batch of them, skipping those another prune holds. Answers how many visitors went.
create function conversation.prune_app_visitors(p_before timestamptz, p_batch integer)
  returns integer
  language plpgsql security definer
  set search_path = conversation, pg_temp
  as $$
  declare
    gone uuid[];
  begin
    select coalesce(array_agg(id), '{}') into gone from (
      select v.id from conversation.app_visitors v
      where v.created_at < p_before
        and not exists (select 1 from conversation.sessions s
                        where s.user_id = v.id and s.last_activity_at >= p_before)
      order by v.created_at
      limit p_batch
      for update skip locked
    ) picked;
    if cardinality(gone) = 0 then
      return 0;
    end if;
    delete from conversation.sessions where user_id = any (gone);
    delete from conversation.user_memories where user_id = any (gone);
    delete from conversation.bot_user_memories where user_id = any (gone);
    delete from conversation.user_preferences where user_id = any (gone);
    delete from conversation.app_visitors where id = any (gone);
    return cardinality(gone);
  end $$;

revoke all on function conversation.prune_app_visitors(timestamptz, integer) from public;
grant execute on function conversation.prune_app_visitors(timestamptz, integer) to conversation_app;
