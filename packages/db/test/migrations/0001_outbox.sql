create table outbox (
  id uuid primary key, subject text not null, payload jsonb not null, traceparent text,
  created_at timestamptz not null default now(), published_at timestamptz,
  attempts integer not null default 0, last_error text
);
