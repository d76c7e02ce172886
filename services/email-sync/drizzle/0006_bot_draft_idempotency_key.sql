-- A bot automation's CREATE DRAFT carries a key per call of its run (automation:<run>:draft:<n>),
-- so that a retried run finds the draft its first attempt made rather than writing a second one.
-- Keys are per account: one mailbox's key never answers another's draft.
alter table email.email_drafts add column if not exists idempotency_key text;
create unique index if not exists email_drafts_idempotency_key
  on email.email_drafts (account_id, idempotency_key) where idempotency_key is not null;
