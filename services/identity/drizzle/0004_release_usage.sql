-- Gives back `p_amount` of a metric that a granted reservation did not use, in the period the
-- reservation was made in only (after a roll the counter started again: nothing to give back),
-- and never below zero. The row lock orders it with concurrent reservations. Answers how much was
-- given back.
create function identity.release_usage(
  p_subject_type text, p_subject_id uuid, p_metric text, p_amount bigint, p_period_end timestamptz
) returns bigint
  language plpgsql security definer set search_path = identity, pg_temp
  as $$
  declare
    v_subscription_id uuid;
    v_before bigint;
  begin
    select c.subscription_id, c.used into v_subscription_id, v_before
      from identity.usage_counters c join identity.user_subscriptions s on s.id = c.subscription_id
      where s.subject_type = p_subject_type and s.subject_id = p_subject_id and c.metric = p_metric
      for update of c;
    if v_subscription_id is null then
      return 0;
    end if;
    -- The period is checked after the counter is locked, in a statement of its own: a roll that
    -- committed meanwhile has moved period_end (and started the counter again), and one that has
    -- not yet waits for this lock. The reservation's answer carried period_end to the millisecond.
    perform 1 from identity.user_subscriptions s
      where s.id = v_subscription_id and abs(extract(epoch from s.period_end - p_period_end)) < 0.001;
    if not found then
      return 0;
    end if;
    update identity.usage_counters c set used = c.used - least(c.used, p_amount)
      where c.subscription_id = v_subscription_id and c.metric = p_metric;
    return least(v_before, p_amount);
  end;
  $$;

revoke all on function identity.release_usage(text, uuid, text, bigint, timestamptz) from public;
grant execute on function identity.release_usage(text, uuid, text, bigint, timestamptz) to identity_app;
