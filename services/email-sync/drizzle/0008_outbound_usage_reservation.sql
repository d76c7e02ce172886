-- What a send reserved of its payer's emails_sent (identity's usage): the payer (its team, else its
-- owner), how many (one per recipient) and the period the reservation names, so a send that fails
-- for good, or is canceled, gives it back once (`usage_released_at`). Null: nothing was reserved
-- (platform mail, a plan that does not limit sending, a row from before this).
alter table email.email_outbound add column if not exists usage_subject_type text
  check (usage_subject_type in ('user', 'team'));
alter table email.email_outbound add column if not exists usage_subject_id uuid;
alter table email.email_outbound add column if not exists usage_amount integer;
alter table email.email_outbound add column if not exists usage_period_end timestamptz;
alter table email.email_outbound add column if not exists usage_released_at timestamptz;
