-- storage_mb measures what is kept, not what is done in a month: a gauge. Its counter is not
-- zeroed when a period rolls, a release gives it back whatever period the reservation was made
-- in (deleting a file frees its space for good), and a plan change keeps what is stored (a plan
-- without storage keeps the counter with a limit of 0, so nothing more fits until it is freed).
-- The other metrics stay per period.

create function identity.is_gauge_metric(p_metric text) returns boolean
  language sql immutable
  as $$ select p_metric in ('storage_mb') $$;

-- As in 0005 (the counters locked first, in metric order), keeping a gauge the plan does not limit.
create or replace function identity.apply_plan_limits(p_subscription_id uuid) returns void
  language plpgsql security definer set search_path = identity, pg_temp
  as $$
  begin
    perform identity.lock_usage_counters(p_subscription_id);
    update identity.usage_counters c set "limit" = 0
      where c.subscription_id = p_subscription_id
        and identity.is_gauge_metric(c.metric)
        and c.metric not in (select jsonb_object_keys(p.limits) from identity.plans p
                             join identity.user_subscriptions s on s.plan_id = p.id where s.id = p_subscription_id);
    delete from identity.usage_counters c
      where c.subscription_id = p_subscription_id
        and not identity.is_gauge_metric(c.metric)
        and c.metric not in (select jsonb_object_keys(p.limits) from identity.plans p
                             join identity.user_subscriptions s on s.plan_id = p.id where s.id = p_subscription_id);
    insert into identity.usage_counters (subscription_id, metric, used, "limit")
      select s.id, l.key, 0, l.value::bigint
      from identity.user_subscriptions s join identity.plans p on p.id = s.plan_id, jsonb_each_text(p.limits) l
      where s.id = p_subscription_id
    on conflict (subscription_id, metric) do update set "limit" = excluded."limit";
  end;
  $$;

-- As in 0005, zeroing the per-period counters only.
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
      update identity.usage_counters set used = 0
        where subscription_id = v_subscription.id and not identity.is_gauge_metric(metric);
      perform identity.apply_plan_limits(v_subscription.id);
      v_rolled := v_rolled + 1;
    end loop;
    return v_rolled;
  end;
  $$;

-- As in 0006, with a gauge given back in any period (its counter never rolled).
create or replace function identity.release_usage(
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
               case when v_same_period or identity.is_gauge_metric(a.metric)
                    then coalesce(least(a.used, a.to_quota), 0) else 0 end as to_quota
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
