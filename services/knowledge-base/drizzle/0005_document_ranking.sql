-- Documents are ranked with BM25F over knowledge.kb_terms: per word, its frequency in the
-- document's name, lead and body (to_tsvector counts, so stop words and word forms follow the
-- collection's text search language). Postings are read by (collection_id, lexeme) through the
-- primary key, an index Postgres can use under row-level security. 0003's security-definer
-- look-ups are no longer called; they stay for instances still running the previous search during
-- a rolling upgrade, and a later migration drops them.

-- A document's words and how often each occurs in its name, its lead and the rest of its text.
-- The body comes in pieces (cut between words): a tsvector holds at most 1 MB of words and 255
-- positions of each, so one over a whole large file would fail or undercount. A count beyond
-- what a smallint holds is kept at its maximum: BM25 saturates long before that.
create function knowledge.document_terms(p_language regconfig, p_name text, p_lead text, p_body text[])
  returns table (lexeme text, name_tf smallint, lead_tf smallint, body_tf smallint)
  language sql immutable parallel safe
  as $$
    select lexeme,
           least(coalesce(sum(tf) filter (where field = 1), 0), 32767)::smallint,
           least(coalesce(sum(tf) filter (where field = 2), 0), 32767)::smallint,
           least(coalesce(sum(tf) filter (where field = 3), 0), 32767)::smallint
    from (select 1 as field, t.lexeme, cardinality(t.positions) as tf from unnest(to_tsvector(p_language, p_name)) t
          union all
          select 2, t.lexeme, cardinality(t.positions) from unnest(to_tsvector(p_language, p_lead)) t
          union all
          select 3, t.lexeme, cardinality(t.positions)
          from unnest(p_body) piece, unnest(to_tsvector(p_language, piece)) t) fields
    group by lexeme
  $$;

-- Replaces a document's postings and lengths. Runs as the caller, under the tables' policies.
create function knowledge.store_document_terms(
  p_document_id uuid, p_language regconfig, p_name text, p_lead text, p_body text[]
) returns void
  language sql
  as $$
    delete from knowledge.kb_terms where document_id = p_document_id;
    with stored as (
      insert into knowledge.kb_terms (collection_id, lexeme, document_id, name_tf, lead_tf, body_tf)
      select d.collection_id, t.lexeme, d.id, t.name_tf, t.lead_tf, t.body_tf
      from knowledge.kb_documents d, knowledge.document_terms(p_language, p_name, p_lead, p_body) t
      where d.id = p_document_id
      returning name_tf, lead_tf, body_tf
    )
    update knowledge.kb_documents
    set name_terms = (select coalesce(sum(name_tf), 0) from stored),
        lead_terms = (select coalesce(sum(lead_tf), 0) from stored),
        body_terms = (select coalesce(sum(body_tf), 0) from stored)
    where id = p_document_id;
  $$;

alter table knowledge.kb_terms enable row level security;
alter table knowledge.kb_terms force row level security;
create policy kb_terms_access on knowledge.kb_terms
  using (collection_id in (select id from knowledge.kb_collections))
  with check (collection_id in (select id from knowledge.kb_collections));

-- Documents indexed before this migration: their text is put back together from their chunks
-- (each chunk's part past the previous chunk's end; what lies between chunks is whitespace, put
-- back as spaces), split into lead and body as the indexer does (the first 300 characters, then to
-- the end of the word or 250 characters more: LEAD_CHARS and LONGEST_WORD in index-document.ts),
-- the body's pieces being the chunks' parts.
-- Chunk offsets count UTF-16 units and Postgres counts characters: in a text with characters
-- beyond the Basic Multilingual Plane (emoji), a word at a chunk boundary may be cut or dropped.
-- The tables force row-level security on their owner too: the migration acts as platform admin.
select set_config('app.platform_admin', 'true', true);
with parts as (
  select c.document_id, c.ordinal,
         repeat(' ', greatest(0, c.char_start - coalesce(max(c.char_end) over earlier, 0)))
           || substr(c.content, greatest(0, coalesce(max(c.char_end) over earlier, 0) - c.char_start) + 1) as part
  from knowledge.kb_chunks c
  window earlier as (partition by c.document_id order by c.ordinal rows between unbounded preceding and 1 preceding)
),
placed as (
  select document_id, ordinal, part,
         coalesce(sum(length(part)) over (partition by document_id order by ordinal
                                          rows between unbounded preceding and 1 preceding), 0)::int as part_start
  from parts
),
texts as (
  select document_id, string_agg(part, '' order by ordinal) as text from placed group by document_id
),
leads as (
  select document_id, left(text, 300) || substring(substr(text, 301) from '^\S{0,250}') as lead from texts
),
bodies as (
  select p.document_id,
         array_agg(substr(p.part, greatest(1, length(l.lead) - p.part_start + 1)) order by p.ordinal) as body
  from placed p join leads l on l.document_id = p.document_id
  where p.part_start + length(p.part) > length(l.lead)
  group by p.document_id
)
select knowledge.store_document_terms(d.id, s.text_search_language::regconfig, d.name, l.lead,
                                      coalesce(b.body, '{}'))
from leads l
left join bodies b on b.document_id = l.document_id
join knowledge.kb_documents d on d.id = l.document_id
join knowledge.knowledge_base_settings s on s.collection_id = d.collection_id;
