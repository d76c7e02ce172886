-- The IDLE watcher keeps its connections in step with the accounts every few seconds: which are
-- active and which changed servers or credentials (config_version). One narrow look-up answers
-- both for every account at once, where it asked the owner and the version of each account in
-- turn (two statements per watched account every five seconds).
create function email.active_account_versions()
  returns table (id uuid, config_version int)
  language sql stable security definer
  set search_path = email, pg_temp
  as $$ select a.id, a.config_version from email.user_email_accounts a
        where a.active and a.sync_state <> 'auth_error' order by a.id $$;

revoke all on function email.active_account_versions() from public;
grant execute on function email.active_account_versions() to email_app;
