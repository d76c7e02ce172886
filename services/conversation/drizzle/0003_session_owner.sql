-- Whose chat session is this? Knowledge-base keeps a session's knowledge bases and must refuse
-- anyone but the session's user (rpc.conversation.sessions.owner); the RPC has no actor, so this
-- narrow look-up answers that one question and nothing else. NULL: no such session.
create function conversation.session_owner(p_session_id uuid)
  returns uuid
  language sql stable security definer
  set search_path = conversation, pg_temp
  as $$ select user_id from conversation.sessions where id = p_session_id $$;

revoke all on function conversation.session_owner(uuid) from public;
grant execute on function conversation.session_owner(uuid) to conversation_app;
