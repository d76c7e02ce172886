CREATE TABLE "knowledge"."session_owners" (
	"session_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- Chat sessions belong to the conversation service. Until now a session id was claimed here by the
-- first user who linked a collection to it, so a stranger could take another user's session (or
-- make one up) and lock its owner out. The owner now comes from conversation
-- (rpc.conversation.sessions.owner) and is kept in session_owners, only through these functions:
-- the runtime role cannot write an owner of its choosing.
revoke all on knowledge.session_owners from knowledge_app;
alter table knowledge.session_owners enable row level security;
alter table knowledge.session_owners force row level security;
create policy session_owners_own on knowledge.session_owners
  using (user_id = knowledge.current_user_id() or knowledge.is_platform_admin());

drop function knowledge.session_user_id(uuid);

-- Whose session is this, as far as this service has learnt.
create function knowledge.session_owner(p_session_id uuid)
  returns uuid
  language sql stable security definer
  set search_path = knowledge, pg_temp
  as $$ select user_id from knowledge.session_owners where session_id = p_session_id $$;

-- Records the owner conversation named and repairs the session: links someone else made before
-- (a wrongful claim) are removed. Answers the recorded owner (the first answer wins a race).
create function knowledge.record_session_owner(p_session_id uuid, p_user_id uuid)
  returns uuid
  language plpgsql security definer
  set search_path = knowledge, pg_temp
  as $$
  declare
    recorded uuid;
  begin
    insert into knowledge.session_owners (session_id, user_id) values (p_session_id, p_user_id)
      on conflict (session_id) do nothing;
    select user_id into recorded from knowledge.session_owners where session_id = p_session_id;
    delete from knowledge.user_kb_associations where session_id = p_session_id and user_id <> recorded;
    return recorded;
  end $$;

revoke all on function knowledge.session_owner(uuid) from public;
revoke all on function knowledge.record_session_owner(uuid, uuid) from public;
grant execute on function knowledge.session_owner(uuid) to knowledge_app;
grant execute on function knowledge.record_session_owner(uuid, uuid) to knowledge_app;
