-- A message being sent holds a lease its send job renews while the SMTP transaction runs
-- (SEND_LEASE): a live slow send is never taken twice, and one whose worker died is taken again
-- once its lease has run out, instead of after a fixed ten minutes.
alter table email.email_outbound add column if not exists lease_until timestamptz;
