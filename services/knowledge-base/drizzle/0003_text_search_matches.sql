-- Full-text matching through the GIN index under row-level security. `tsv @@ query` is not a
-- leakproof operator, so under a policy Postgres may not use it as an index condition: every
-- search scanned (and detoasted) every chunk's text search vector, ~50 ms per word at 38,000
-- chunks. These functions run the index look-up as the owner, but only over the collections the
-- caller can see: knowledge.visible_collections repeats kb_collections' policy (0001) and must
-- change with it. They return ids and counts only; rows are read back under the policies.

create function knowledge.visible_collections(p_collection_ids uuid[]) returns uuid[]
  language sql stable security definer
  set search_path = knowledge, pg_temp
  as $$
    select coalesce(array_agg(id), '{}') from knowledge.kb_collections
    where id = any (p_collection_ids)
      and (owner_user_id = knowledge.current_user_id()
           or (visibility = 'team' and team_id = any (knowledge.current_team_ids()))
           or knowledge.is_platform_admin())
  $$;

-- The chunks of those collections whose text search vector matches the query.
create function knowledge.text_matches(p_collection_ids uuid[], p_query tsquery)
  returns table (chunk_id uuid, document_id uuid)
  language sql stable security definer
  set search_path = knowledge, pg_temp
  as $$
    select c.id, c.document_id from knowledge.kb_chunks c
    where c.tsv @@ p_query and c.collection_id = any (knowledge.visible_collections(p_collection_ids))
  $$;

-- How many chunks of those collections match each single-word query (its document frequency,
-- for idf weights). A common word is expensive to count (thousands of rows to visit) and its
-- exact count matters little: when ANALYZE's statistics of the chunks' vectors say a word is in
-- more than 500 chunks of the table, its table-wide frequency times the collections' chunk
-- count stands in for the count.
create function knowledge.text_match_counts(p_collection_ids uuid[], p_queries tsquery[])
  returns bigint[]
  language sql stable security definer
  set search_path = knowledge, pg_temp
  as $$
    with v as (select knowledge.visible_collections(p_collection_ids) as ids),
    chunks as (select coalesce(sum(d.chunk_count), 0) as n from knowledge.kb_documents d, v
               where d.collection_id = any (v.ids)),
    rows as (select greatest(reltuples, 0) as n from pg_class where oid = 'knowledge.kb_chunks'::regclass),
    common as (
      select s.lexeme, s.freq
      from pg_stats p, unnest(p.most_common_elems::text::text[], p.most_common_elem_freqs) as s(lexeme, freq), rows
      where p.schemaname = 'knowledge' and p.tablename = 'kb_chunks' and p.attname = 'tsv'
        and s.freq * rows.n > 500
    )
    select coalesce(array_agg(coalesce(
             (select round(common.freq * chunks.n)::bigint from common
              where common.lexeme = trim(both '''' from q.query::text)),
             (select count(*) from knowledge.kb_chunks c
              where c.tsv @@ q.query and c.collection_id = any (v.ids))) order by q.i), '{}')
    from v, chunks, unnest(p_queries) with ordinality as q(query, i)
  $$;

revoke all on function knowledge.visible_collections(uuid[]) from public;
revoke all on function knowledge.text_matches(uuid[], tsquery) from public;
revoke all on function knowledge.text_match_counts(uuid[], tsquery[]) from public;
grant execute on function knowledge.visible_collections(uuid[]) to knowledge_app;
grant execute on function knowledge.text_matches(uuid[], tsquery) to knowledge_app;
grant execute on function knowledge.text_match_counts(uuid[], tsquery[]) to knowledge_app;
