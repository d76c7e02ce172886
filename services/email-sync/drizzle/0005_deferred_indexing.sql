-- A first sync stores what a faithful copy needs (envelope, flags, size, BODYSTRUCTURE's
-- attachments) and the raw source, and a separate indexing pass right behind it extracts bodies,
-- snippet and the full-text vector: mailparser and to_tsvector were most of a first sync's time
-- (docs/benchmarks.md, "Email sync"). The vector was a generated column, recomputed by every
-- UPDATE of a row (each flag change); it becomes a plain column the indexing pass (or the sync,
-- for mail it parses at once) fills with the same expression.
alter table email.email_messages alter column search drop expression;

create function email.message_search_vector(
  subject text, from_address jsonb, to_addresses jsonb, cc_addresses jsonb, text_body text)
  returns tsvector language sql immutable parallel safe
  as $$ select to_tsvector('simple'::regconfig, left(coalesce(subject, '') || ' ' || coalesce(from_address::text, '')
          || ' ' || coalesce(to_addresses::text, '') || ' ' || coalesce(cc_addresses::text, '') || ' '
          || coalesce(text_body, ''), 200000)) $$;

-- The source as fetched, kept only until the indexing pass has read it (then null). Stored out of
-- line and uncompressed: it lives for seconds, and compressing it cost Postgres more than writing it.
alter table email.email_messages add column raw_source bytea;
alter table email.email_messages alter column raw_source set storage external;

-- Null while the bodies and the vector are still to be extracted. Rows stored before this
-- migration were parsed as they were stored: the default marks them indexed without rewriting the
-- table, and is dropped so new rows start as not indexed.
alter table email.email_messages add column indexed_at timestamptz default now();
alter table email.email_messages alter column indexed_at drop default;

create index email_messages_unindexed_idx on email.email_messages (account_id, id) where indexed_at is null;
