-- A gauge (storage_mb: what is kept) is counted on every plan. Every subscription has its gauge
-- counter whatever its plan; its limit is NULL when the plan does not limit the gauge, and then a
-- reservation is granted and counted (never refused), and a release gives back as usual. So what
-- is stored while a plan does not limit it still counts once the payer moves to a plan that does.
-- Before, a plan change to a plan without storage kept the counter with a limit of 0 (refusing
-- every upload, while a new subscription on that plan had no counter and uploaded uncounted).
-- A per-period metric the plan does not limit keeps 0011's rule: no counter, granted uncounted.

create function identity.gauge_metrics() returns text[]
  language sql immutable
  as $$ select array['storage_mb'] $$;

create or replace function identity.is_gauge_metric(p_metric text) returns boolean
  language sql immutable
  as $$ select p_metric = any (identity.gauge_metrics()) $$;

-- NULL is "not limited", for a gauge only: a per-period metric the plan does not limit has no counter.
alter table identity.usage_counters alter column "limit" drop not null;
alter table identity.usage_counters add constraint usage_counters_limit_unless_gauge
  check ("limit" is not null or identity.is_gauge_metric(metric));

-- As in 0008 (the counters locked first, in metric order): the plan's metrics get its limits,
-- every gauge it does not limit keeps (or gets) its counter with a NULL limit, and the per-period
-- metrics it does not limit go. A limit the plan names as JSON null does not limit.
create or replace function identity.apply_plan_limits(p_subscription_id uuid) returns void
  language plpgsql security definer set search_path = identity, pg_temp
  as $$
  begin
    perform identity.lock_usage_counters(p_subscription_id);
    with plan_limits as (
      select l.key as metric, l.value::bigint as "limit"
      from identity.user_subscriptions s join identity.plans p on p.id = s.plan_id, jsonb_each_text(p.limits) l
      where s.id = p_subscription_id and l.value is not null
    ), wanted as (
      select pl.metric, pl."limit" from plan_limits pl
      union all
      select g.metric, null::bigint from unnest(identity.gauge_metrics()) as g(metric)
      where g.metric not in (select pl.metric from plan_limits pl)
    ), dropped as (
      delete from identity.usage_counters c
      where c.subscription_id = p_subscription_id and c.metric not in (select w.metric from wanted w)
    )
    insert into identity.usage_counters (subscription_id, metric, used, "limit")
      select p_subscription_id, w.metric, 0, w."limit" from wanted w
    on conflict (subscription_id, metric) do update set "limit" = excluded."limit";
  end;
  $$;

-- As in 0011, but a gauge's counter with a NULL limit takes the whole amount, granted. A gauge
-- asked for whose counter is missing (a subscription made before this migration ran, or by hand)
-- gets it first, through apply_plan_limits, before any counter is locked (as a roll does), so the
-- lock order stays that of every other function. `known` says whether the plan limits the metric;
-- `remaining` and `limit` are NULL when it does not.
create or replace function identity.reserve_usage(
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
    if exists (select 1 from jsonb_to_recordset(p_items) as i(metric text)
               where identity.is_gauge_metric(i.metric)
                 and not exists (select 1 from identity.usage_counters c
                                 where c.subscription_id = v_subscription_id and c.metric = i.metric)) then
      perform identity.apply_plan_limits(v_subscription_id);
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
    return query
      with asked as (
        select i.metric, i.amount, c.used, c."limit",
               -- what the counter takes of the amount: all of it on a gauge the plan does not
               -- limit, what the quota still covers on a limited one, nothing without a counter
               case when c.used is null then 0
                    when c."limit" is null then i.amount
                    else least(i.amount, greatest(c."limit" - c.used, 0)) end as from_quota
        from jsonb_to_recordset(p_items) as i(metric text, amount bigint)
        left join identity.usage_counters c on c.subscription_id = v_subscription_id and c.metric = i.metric
      ), judged as (
        select a.*,
               case when a.metric = 'ai_credits' and a."limit" is not null
                    then a.amount - a.from_quota else 0 end as from_balance,
               a."limit" is null
                 or a.from_quota = a.amount
                 or (a.metric = 'ai_credits' and a.amount - a.from_quota <= v_balance) as fits
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
      select j.metric, j."limit" is not null, j.fits, v.granted,
             j."limit" - j.used - case when v.granted then j.from_quota else 0 end,
             j."limit", v_period_end,
             case when v.granted then j.from_balance else 0 end,
             case when j.metric = 'ai_credits'
                  then v_balance - case when v.granted then v.from_balance else 0 end end
      from judged j, verdict v;
  end;
  $$;

-- Every subscription gets its gauge counters now; one kept with a limit of 0 by a plan that does
-- not limit it (0008) becomes unlimited.
select identity.apply_plan_limits(s.id) from identity.user_subscriptions s order by s.id;
