-- A metric a plan does not limit (no counter for it in the subscription) is not limited: a
-- reservation grants it, counts nothing of it, and still reserves the metrics that are limited,
-- all or none as before. Only a subject without a subscription is answered with no rows (the
-- caller refuses it: every user and team gets the default plan when it is created, so a subject
-- with none is unknown to identity). Before, an unlimited metric refused the whole reservation and
-- identity answered not_found for both cases, which callers read in two opposite ways.
-- Bought AI credits are not drawn for a plan that does not limit ai_credits.
-- As in 0006 otherwise; `known` still says whether the plan limits the metric.
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
               -- what the plan's quota still covers of the amount (nothing of an unlimited metric)
               coalesce(least(i.amount, greatest(c."limit" - c.used, 0)), 0) as from_quota
        from jsonb_to_recordset(p_items) as i(metric text, amount bigint)
        left join identity.usage_counters c on c.subscription_id = v_subscription_id and c.metric = i.metric
      ), judged as (
        select a.*,
               case when a.metric = 'ai_credits' and a.used is not null
                    then a.amount - a.from_quota else 0 end as from_balance,
               a.used is null
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
      select j.metric, j.used is not null, j.fits, v.granted,
             coalesce(j."limit" - j.used - case when v.granted then j.from_quota else 0 end, 0),
             coalesce(j."limit", 0), v_period_end,
             case when v.granted then j.from_balance else 0 end,
             case when j.metric = 'ai_credits'
                  then v_balance - case when v.granted then v.from_balance else 0 end end
      from judged j, verdict v;
  end;
  $$;
