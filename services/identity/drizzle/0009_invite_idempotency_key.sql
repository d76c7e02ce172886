-- A bot automation's ADD MEMBER carries a key per call of its run (automation:<run>:invite:<n>), so
-- that a retried run finds the invite its first attempt made rather than inviting (and mailing)
-- the address again. Keys are the inviter's own: one user's key never answers another's invite.
alter table identity.invites add column if not exists idempotency_key text;
create unique index if not exists invites_idempotency_key
  on identity.invites (invited_by, idempotency_key) where idempotency_key is not null;
