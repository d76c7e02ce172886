create table outbox (
  id uuid primary key, subject text not null, payload jsonb not null, traceparent text,
  created_at timestamptz not null default now(), published_at timestamptz,
  attempts integer not null default 0, last_error text
);
create table processed_events (consumer text not null, event_id uuid not null, processed_at timestamptz not null default now(), primary key (consumer, event_id));
create table greetings (id uuid primary key, name text not null);
create table greeting_effects (event_id uuid not null, name text not null);
