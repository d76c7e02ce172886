-- A message being sent holds a lease its send job renews while the SMTP transaction runs
-- (SEND_LEASE): a live slow send is never taken twice, and one whose worker died is taken again
-- once its lease has run out, instead of after a fixed ten minutes.
alter table email.email_outbound add column if not exists lease_until timestamptz;

-- The sweep queues a message in `sending` only once its lease has run out (its worker died); a
-- row left `sending` before leases were kept is taken after ten minutes, as then.
create or replace function email.due_outbound_ids(p_limit integer)
  returns setof uuid
  language sql stable security definer
  set search_path = email, pg_temp
  as $$ select o.id from email.email_outbound o
        where o.send_at <= now()
          and (o.status = 'queued'
               or (o.status = 'sending'
                   and coalesce(o.lease_until, o.updated_at + interval '10 minutes') <= now()))
        order by o.send_at limit p_limit $$;

revoke all on function email.due_outbound_ids(integer) from public;
grant execute on function email.due_outbound_ids(integer) to email_app;
