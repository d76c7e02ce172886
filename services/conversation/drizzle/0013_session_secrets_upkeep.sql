-- A session's SET HEADER headers and suspended dialog state may carry a script's secrets. A
-- session that has ended (or expired: it can never go on) keeps neither; rows written before they
-- were sealed at rest are sealed by the worker (it holds the key; SQL cannot). The worker has no
-- user, so it works through these narrow security-definer functions, as conversation_app.

-- Drops the headers (sealed or not) and the dialog of up to p_batch ended or expired sessions;
-- answers how many it changed.
create or replace function conversation.drop_ended_session_secrets(p_batch integer)
  returns integer
  language plpgsql security definer
  set search_path = conversation, pg_temp
  as $$
  declare
    changed integer;
  begin
    with picked as (
      select s.id from conversation.sessions s
      where (s.ended_at is not null or s.expires_at <= now())
        and (s.context ?| array['httpHeaders', 'sealedHttpHeaders']
             or jsonb_typeof(s.context -> 'dialog') = 'object')
      limit p_batch
      for update skip locked
    )
    update conversation.sessions s
      set context = (s.context - 'httpHeaders' - 'sealedHttpHeaders') || '{"dialog": null}'::jsonb
      from picked where s.id = picked.id;
    get diagnostics changed = row_count;
    return changed;
  end $$;
revoke all on function conversation.drop_ended_session_secrets(integer) from public;
grant execute on function conversation.drop_ended_session_secrets(integer) to conversation_app;

-- Open sessions after p_after (by id) whose headers or dialog state are still stored in plaintext.
create or replace function conversation.sessions_with_plaintext_secrets(p_after uuid, p_batch integer)
  returns table (id uuid, context jsonb)
  language sql stable security definer
  set search_path = conversation, pg_temp
  as $$
    select s.id, s.context from conversation.sessions s
    where s.id > p_after
      and s.ended_at is null and s.expires_at > now()
      and (s.context ? 'httpHeaders'
           or coalesce(jsonb_typeof(s.context #> '{dialog,state}'), 'null') not in ('string', 'null'))
    order by s.id
    limit p_batch
  $$;
revoke all on function conversation.sessions_with_plaintext_secrets(uuid, integer) from public;
grant execute on function conversation.sessions_with_plaintext_secrets(uuid, integer) to conversation_app;

-- Replaces a session's context p_old (unchanged since it was read) with p_sealed, which may differ
-- from it only in the secret parts, now sealed (strings): plaintext headers become
-- sealedHttpHeaders, the dialog's state a string. Answers whether it was replaced.
create or replace function conversation.seal_session_secrets(p_id uuid, p_old jsonb, p_sealed jsonb)
  returns boolean
  language plpgsql security definer
  set search_path = conversation, pg_temp
  as $$
  declare
    changed integer;
  begin
    if p_sealed ? 'httpHeaders'
       or coalesce(jsonb_typeof(p_sealed -> 'sealedHttpHeaders'), 'string') <> 'string'
       or coalesce(jsonb_typeof(p_sealed #> '{dialog,state}'), 'string') <> 'string'
       or (p_sealed - 'sealedHttpHeaders' - 'dialog') <> (p_old - 'httpHeaders' - 'sealedHttpHeaders' - 'dialog')
       or (case when jsonb_typeof(p_sealed -> 'dialog') = 'object' then (p_sealed -> 'dialog') - 'state'
                else p_sealed -> 'dialog' end)
          is distinct from
          (case when jsonb_typeof(p_old -> 'dialog') = 'object' then (p_old -> 'dialog') - 'state'
                else p_old -> 'dialog' end)
    then
      raise exception 'only the secret parts of a session context may be sealed';
    end if;
    update conversation.sessions set context = p_sealed where id = p_id and context = p_old;
    get diagnostics changed = row_count;
    return changed > 0;
  end $$;
revoke all on function conversation.seal_session_secrets(uuid, jsonb, jsonb) from public;
grant execute on function conversation.seal_session_secrets(uuid, jsonb, jsonb) to conversation_app;
