-- Profiles and AI credits a platform admin can top up, spent beside the plan's monthly quota.
--
-- Order of spending: an AI-credit reservation takes what the plan's `ai_credits` quota still
-- covers first and only the rest from the credit balance, so bought credits last while the quota
-- does (the quota resets each month, the balance does not). A release gives back the other way
-- round: what the reservation drew from the balance first, then the quota, as if the unused part
-- had never been asked for.
--
-- The balance is kept in step with an append-only ledger under the balance row's lock: every
-- top-up, spend and give-back is a ledger row, and a balance always equals the sum of its rows.

-- The display fields of a user that the account itself does not hold (the seed's `profiles`; its
-- `credits` live in credit_balances below, since teams hold credits too, and its
-- `free_messages_used` is the plan's `messages` counter).
create table identity.profiles (
  user_id uuid primary key references identity.users (id) on delete cascade,
  display_name text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

alter table identity.profiles enable row level security;
alter table identity.profiles force row level security;
create policy profiles_owner on identity.profiles
  using (user_id = identity.current_user_id())
  with check (user_id = identity.current_user_id());

-- One balance per usage subject (a user or a team); never negative.
create table identity.credit_balances (
  subject_type text not null check (subject_type in ('user', 'team')),
  subject_id uuid not null,
  balance bigint not null default 0 check (balance >= 0),
  updated_at timestamptz not null default now(),
  primary key (subject_type, subject_id)
);

create table identity.credit_ledger (
  id uuid primary key,
  subject_type text not null check (subject_type in ('user', 'team')),
  subject_id uuid not null,
  -- top_up and release add (> 0), spend takes (< 0)
  kind text not null check (kind in ('top_up', 'spend', 'release')),
  amount bigint not null check (amount <> 0 and (amount < 0) = (kind = 'spend')),
  -- the admin's words for a top-up
  reason text,
  -- the usage reservation a spend or a give-back belongs to
  reservation_id uuid,
  -- who topped up (spends and give-backs are the usage RPC's)
  created_by uuid,
  created_at timestamptz not null default now(),
  check ((kind = 'top_up') = (reservation_id is null))
);
create index credit_ledger_subject_idx on identity.credit_ledger (subject_type, subject_id, id);
create index credit_ledger_reservation_idx on identity.credit_ledger (reservation_id)
  where reservation_id is not null;

-- Their subject reads them (a team's members read the team's); only platform admins top up
-- (directly, under these policies), and the usage functions below spend and give back.
alter table identity.credit_balances enable row level security;
alter table identity.credit_balances force row level security;
create policy credit_balances_read on identity.credit_balances for select
  using ((subject_type = 'user' and subject_id = identity.current_user_id())
         or (subject_type = 'team' and subject_id in (select identity.my_team_ids()))
         or identity.is_platform_admin());
create policy credit_balances_top_up on identity.credit_balances for insert
  with check (identity.is_platform_admin());
create policy credit_balances_top_up_existing on identity.credit_balances for update
  using (identity.is_platform_admin()) with check (identity.is_platform_admin());
revoke delete on identity.credit_balances from identity_app;

alter table identity.credit_ledger enable row level security;
alter table identity.credit_ledger force row level security;
create policy credit_ledger_read on identity.credit_ledger for select
  using ((subject_type = 'user' and subject_id = identity.current_user_id())
         or (subject_type = 'team' and subject_id in (select identity.my_team_ids()))
         or identity.is_platform_admin());
create policy credit_ledger_top_up on identity.credit_ledger for insert
  with check (identity.is_platform_admin() and kind = 'top_up');
-- The ledger is history: rows are added, never changed or removed.
revoke update, delete on identity.credit_ledger from identity_app;

drop function identity.reserve_usage(text, uuid, jsonb);
drop function identity.release_usage(text, uuid, jsonb, timestamptz);

-- As in 0005, with AI credits spent from the plan's quota first and then from the credit balance
-- (locked after the counters, as in every function that takes both: no two can deadlock). A grant
-- that draws on the balance records the draw in the ledger under p_reservation_id. The
-- `ai_credits` row also says the balance (`credits`) after a grant or now, and how much the grant
-- drew from it (`from_credits`).
create function identity.reserve_usage(
  p_subject_type text, p_subject_id uuid, p_items jsonb, p_reservation_id uuid
) returns table (metric text, known boolean, fits boolean, granted boolean, remaining bigint,
                 "limit" bigint, period_end timestamptz, from_credits bigint, credits bigint)
  language plpgsql security definer set search_path = identity, pg_temp
  as $$
  declare
    v_subscription_id uuid;
    v_period_end timestamptz;
    v_balance bigint;
  begin
    select s.id, s.period_end into v_subscription_id, v_period_end from identity.user_subscriptions s
      where s.subject_type = p_subject_type and s.subject_id = p_subject_id;
    if v_subscription_id is null then
      return;
    end if;
    if v_period_end <= now() then
      perform identity.roll_usage_periods(v_subscription_id);
    end if;
    perform identity.lock_usage_counters(
      v_subscription_id, array(select i.metric from jsonb_to_recordset(p_items) as i(metric text)));
    select s.period_end into v_period_end from identity.user_subscriptions s where s.id = v_subscription_id;
    if p_items @> '[{"metric": "ai_credits"}]' then
      select b.balance into v_balance from identity.credit_balances b
        where b.subject_type = p_subject_type and b.subject_id = p_subject_id
        for update;
    end if;
    v_balance := coalesce(v_balance, 0);
    -- The counters and the balance are locked by this transaction: what `asked` reads cannot
    -- change before the updates below.
    return query
      with asked as (
        select i.metric, i.amount, c.used, c."limit",
               -- what the plan's quota still covers of the amount
               coalesce(least(i.amount, greatest(c."limit" - c.used, 0)), 0) as from_quota
        from jsonb_to_recordset(p_items) as i(metric text, amount bigint)
        left join identity.usage_counters c on c.subscription_id = v_subscription_id and c.metric = i.metric
      ), judged as (
        select a.*,
               case when a.metric = 'ai_credits' then a.amount - a.from_quota else 0 end as from_balance,
               a.used is not null
                 and (a.from_quota = a.amount
                      or (a.metric = 'ai_credits' and a.amount - a.from_quota <= v_balance)) as fits
        from asked a
      ), verdict as (
        select bool_and(j.fits) as granted, coalesce(sum(j.from_balance), 0)::bigint as from_balance
        from judged j
      ), spent as (
        update identity.usage_counters c set used = c.used + j.from_quota
        from judged j, verdict v
        where v.granted and j.from_quota > 0 and c.subscription_id = v_subscription_id and c.metric = j.metric
      ), drawn as (
        update identity.credit_balances b set balance = b.balance - v.from_balance, updated_at = now()
        from verdict v
        where v.granted and v.from_balance > 0
          and b.subject_type = p_subject_type and b.subject_id = p_subject_id
      ), recorded as (
        insert into identity.credit_ledger (id, subject_type, subject_id, kind, amount, reservation_id)
        select p_reservation_id, p_subject_type, p_subject_id, 'spend', -v.from_balance, p_reservation_id
        from verdict v where v.granted and v.from_balance > 0
      )
      select j.metric, j.used is not null, j.fits, v.granted,
             coalesce(j."limit" - j.used - case when v.granted then j.from_quota else 0 end, 0),
             coalesce(j."limit", 0), v_period_end,
             case when v.granted then j.from_balance else 0 end,
             case when j.metric = 'ai_credits'
                  then v_balance - case when v.granted then v.from_balance else 0 end end
      from judged j, verdict v;
  end;
  $$;

-- As in 0005, and with p_reservation_id (a grant that drew on the credit balance) the unused AI
-- credits go back to the balance first, up to what the reservation drew and has not had back yet
-- (the ledger says), recorded in the ledger under p_entry_id; whatever is left goes back to the
-- quota, in the reservation's period only. The balance does not roll: its part goes back after
-- the period too. One row per metric given back to, with how much (`to_credits` of it to the
-- balance).
create function identity.release_usage(
  p_subject_type text, p_subject_id uuid, p_items jsonb, p_period_end timestamptz,
  p_reservation_id uuid, p_entry_id uuid
) returns table (metric text, released bigint, to_credits bigint)
  language plpgsql security definer set search_path = identity, pg_temp
  as $$
  declare
    v_subscription_id uuid;
    v_same_period boolean;
    v_outstanding bigint;
    v_to_credits bigint := 0;
  begin
    select s.id into v_subscription_id from identity.user_subscriptions s
      where s.subject_type = p_subject_type and s.subject_id = p_subject_id;
    if v_subscription_id is null then
      return;
    end if;
    perform identity.lock_usage_counters(
      v_subscription_id, array(select i.metric from jsonb_to_recordset(p_items) as i(metric text)));
    select exists (select 1 from identity.user_subscriptions s
                   where s.id = v_subscription_id
                     and abs(extract(epoch from s.period_end - p_period_end)) < 0.001)
      into v_same_period;

    if p_reservation_id is not null and p_items @> '[{"metric": "ai_credits"}]' then
      perform 1 from identity.credit_balances b
        where b.subject_type = p_subject_type and b.subject_id = p_subject_id
        for update;
      select coalesce(-sum(l.amount), 0) into v_outstanding from identity.credit_ledger l
        where l.reservation_id = p_reservation_id
          and l.subject_type = p_subject_type and l.subject_id = p_subject_id;
      v_to_credits := greatest(0, least(v_outstanding, (
        select i.amount from jsonb_to_recordset(p_items) as i(metric text, amount bigint)
        where i.metric = 'ai_credits')));
      if v_to_credits > 0 then
        update identity.credit_balances b set balance = b.balance + v_to_credits, updated_at = now()
          where b.subject_type = p_subject_type and b.subject_id = p_subject_id;
        insert into identity.credit_ledger (id, subject_type, subject_id, kind, amount, reservation_id)
          values (p_entry_id, p_subject_type, p_subject_id, 'release', v_to_credits, p_reservation_id);
      end if;
    end if;

    return query
      with asked as (
        select i.metric,
               i.amount - case when i.metric = 'ai_credits' then v_to_credits else 0 end as to_quota,
               c.used
        from jsonb_to_recordset(p_items) as i(metric text, amount bigint)
        left join identity.usage_counters c on c.subscription_id = v_subscription_id and c.metric = i.metric
      ), back as (
        select a.metric,
               case when v_same_period then coalesce(least(a.used, a.to_quota), 0) else 0 end as to_quota
        from asked a
      ), given as (
        update identity.usage_counters c set used = c.used - b.to_quota
        from back b
        where b.to_quota > 0 and c.subscription_id = v_subscription_id and c.metric = b.metric
      )
      select b.metric, b.to_quota + case when b.metric = 'ai_credits' then v_to_credits else 0 end,
             case when b.metric = 'ai_credits' then v_to_credits else 0 end
      from back b;
  end;
  $$;

revoke all on function identity.reserve_usage(text, uuid, jsonb, uuid) from public;
revoke all on function identity.release_usage(text, uuid, jsonb, timestamptz, uuid, uuid) from public;
grant execute on function identity.reserve_usage(text, uuid, jsonb, uuid) to identity_app;
grant execute on function identity.release_usage(text, uuid, jsonb, timestamptz, uuid, uuid) to identity_app;
