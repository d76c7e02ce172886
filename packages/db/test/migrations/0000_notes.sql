create table notes (id uuid primary key, owner_id uuid not null, body text not null);
alter table notes enable row level security;
alter table notes force row level security;
create policy notes_owner on notes
  using (owner_id = nullif(current_setting('app.user_id', true), '')::uuid)
  with check (owner_id = nullif(current_setting('app.user_id', true), '')::uuid);
