-- emails_sent: the mail a plan lets a user or team send each month, one per recipient of each
-- message (the email service reserves it before it accepts a send and gives it back when the
-- send fails for good). A per-period metric, rolled with the others. A plan without it does not
-- limit sending: the email service sends when identity answers that the plan has no such limit.
-- The seeded plans get a limit (a plan an operator already gave one keeps it), and their
-- subscriptions a counter at once rather than at their next roll.
update identity.plans set limits = limits || jsonb_build_object('emails_sent', v.amount)
  from (values ('free', 1000), ('pro', 50000), ('team', 200000)) as v(plan_id, amount)
  where identity.plans.id = v.plan_id and not identity.plans.limits ? 'emails_sent';

select identity.apply_plan_limits(s.id)
  from identity.user_subscriptions s
  where s.plan_id in ('free', 'pro', 'team');
