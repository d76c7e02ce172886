-- Usage in one round trip: a reservation takes several metrics and grants all of them or none, a
-- release gives several back, each in one transaction. A transaction that holds more than one
-- counter of a subscription now exists (a reservation, a release, a roll, a plan change), so every
-- one of them locks the counters through lock_usage_counters, in metric order: two of them can then
-- never each wait for a row the other holds (a deadlock).

-- Locks the counters of a subscription (those of p_metrics, or all), in metric order.
create function identity.lock_usage_counters(p_subscription_id uuid, p_metrics text[] default null)
  returns void
  language plpgsql security definer set search_path = identity, pg_temp
  as $$
  begin
    perform 1 from identity.usage_counters c
      where c.subscription_id = p_subscription_id and (p_metrics is null or c.metric = any (p_metrics))
      order by c.metric
      for update;
  end;
  $$;

-- As in 0003, with the counters locked first (the insert ... on conflict below would otherwise
-- lock them in the order of the plan's limits).
create or replace function identity.apply_plan_limits(p_subscription_id uuid) returns void
  language plpgsql security definer set search_path = identity, pg_temp
  as $$
  begin
    perform identity.lock_usage_counters(p_subscription_id);
    delete from identity.usage_counters c
      where c.subscription_id = p_subscription_id
        and c.metric not in (select jsonb_object_keys(p.limits) from identity.plans p
                             join identity.user_subscriptions s on s.plan_id = p.id where s.id = p_subscription_id);
    insert into identity.usage_counters (subscription_id, metric, used, "limit")
      select s.id, l.key, 0, l.value::bigint
      from identity.user_subscriptions s join identity.plans p on p.id = s.plan_id, jsonb_each_text(p.limits) l
      where s.id = p_subscription_id
    on conflict (subscription_id, metric) do update set "limit" = excluded."limit";
  end;
  $$;

-- As in 0003, with the counters locked in metric order before they are zeroed.
create or replace function identity.roll_usage_periods(p_subscription_id uuid default null) returns integer
  language plpgsql security definer set search_path = identity, pg_temp
  as $$
  declare
    v_rolled integer := 0;
    v_subscription record;
    v_start timestamptz;
  begin
    for v_subscription in
      select id, period_end from identity.user_subscriptions
      where period_end <= now() and (p_subscription_id is null or id = p_subscription_id)
      for update skip locked
    loop
      -- Whole calendar months, as many as have passed, so the new period contains now.
      v_start := v_subscription.period_end;
      while v_start + interval '1 month' <= now() loop
        v_start := v_start + interval '1 month';
      end loop;
      update identity.user_subscriptions
        set period_start = v_start, period_end = v_start + interval '1 month', updated_at = now()
        where id = v_subscription.id;
      perform identity.lock_usage_counters(v_subscription.id);
      update identity.usage_counters set used = 0 where subscription_id = v_subscription.id;
      perform identity.apply_plan_limits(v_subscription.id);
      v_rolled := v_rolled + 1;
    end loop;
    return v_rolled;
  end;
  $$;

drop function identity.reserve_usage(text, uuid, text, bigint);
drop function identity.release_usage(text, uuid, text, bigint, timestamptz);

-- Reserves every amount of p_items (a JSON array of {metric, amount}, each metric once) or none:
-- the counters asked for are locked (in metric order), then either all fit in what is left and
-- all are spent, or nothing changes. A period that has ended is rolled first, and the period is
-- read after the locks, so that a roll that committed meanwhile is seen. One row per item:
-- `known` is false when the plan has no such counter; `remaining` is what is left after a grant,
-- or now after a refusal. No rows when the subject has no subscription.
create function identity.reserve_usage(p_subject_type text, p_subject_id uuid, p_items jsonb)
  returns table (metric text, known boolean, fits boolean, granted boolean, remaining bigint,
                 "limit" bigint, period_end timestamptz)
  language plpgsql security definer set search_path = identity, pg_temp
  as $$
  declare
    v_subscription_id uuid;
    v_period_end timestamptz;
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
    -- The counters are locked by this transaction: what `asked` reads cannot change before the
    -- update below.
    return query
      with asked as (
        select i.metric, i.amount, c.used, c."limit"
        from jsonb_to_recordset(p_items) as i(metric text, amount bigint)
        left join identity.usage_counters c on c.subscription_id = v_subscription_id and c.metric = i.metric
      ), verdict as (
        select bool_and(a.used is not null and a.used + a.amount <= a."limit") as granted from asked a
      ), spent as (
        update identity.usage_counters c set used = c.used + a.amount
        from asked a, verdict v
        where v.granted and c.subscription_id = v_subscription_id and c.metric = a.metric
      )
      select a.metric, a.used is not null, coalesce(a.used + a.amount <= a."limit", false), v.granted,
             coalesce(a."limit" - a.used - case when v.granted then a.amount else 0 end, 0),
             coalesce(a."limit", 0), v_period_end
      from asked a, verdict v;
  end;
  $$;

-- Gives back the amounts of p_items (as for reserve_usage) that a granted reservation did not
-- use, in the period the reservation was made in only (after a roll the counters started again:
-- nothing to give back), never below zero. The period is checked after the counters are locked,
-- in a statement of its own: a roll that committed meanwhile has moved period_end (and started
-- the counters again), and one that has not yet waits for these locks. The reservation's answer
-- carried period_end to the millisecond. One row per counter given back to, with how much.
create function identity.release_usage(
  p_subject_type text, p_subject_id uuid, p_items jsonb, p_period_end timestamptz
) returns table (metric text, released bigint)
  language plpgsql security definer set search_path = identity, pg_temp
  as $$
  declare
    v_subscription_id uuid;
  begin
    select s.id into v_subscription_id from identity.user_subscriptions s
      where s.subject_type = p_subject_type and s.subject_id = p_subject_id;
    if v_subscription_id is null then
      return;
    end if;
    perform identity.lock_usage_counters(
      v_subscription_id, array(select i.metric from jsonb_to_recordset(p_items) as i(metric text)));
    perform 1 from identity.user_subscriptions s
      where s.id = v_subscription_id and abs(extract(epoch from s.period_end - p_period_end)) < 0.001;
    if not found then
      return;
    end if;
    return query
      with asked as (
        select i.metric, i.amount, c.used
        from jsonb_to_recordset(p_items) as i(metric text, amount bigint)
        join identity.usage_counters c on c.subscription_id = v_subscription_id and c.metric = i.metric
      ), given as (
        update identity.usage_counters c set used = c.used - least(a.used, a.amount)
        from asked a
        where c.subscription_id = v_subscription_id and c.metric = a.metric
      )
      select a.metric, least(a.used, a.amount) from asked a;
  end;
  $$;

-- Only the functions above lock counters: identity_app calls them, never this one.
revoke all on function identity.lock_usage_counters(uuid, text[]) from public;
revoke all on function identity.reserve_usage(text, uuid, jsonb) from public;
revoke all on function identity.release_usage(text, uuid, jsonb, timestamptz) from public;
grant execute on function identity.reserve_usage(text, uuid, jsonb) to identity_app;
grant execute on function identity.release_usage(text, uuid, jsonb, timestamptz) to identity_app;
