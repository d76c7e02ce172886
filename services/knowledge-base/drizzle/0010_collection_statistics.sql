CREATE TABLE "knowledge"."kb_collection_stats" (
	"collection_id" uuid PRIMARY KEY NOT NULL,
	"documents" bigint DEFAULT 0 NOT NULL,
	"name_terms" bigint DEFAULT 0 NOT NULL,
	"lead_terms" bigint DEFAULT 0 NOT NULL,
	"body_terms" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
DROP INDEX "knowledge"."kb_chunks_collection_idx";--> statement-breakpoint
ALTER TABLE "knowledge"."kb_collection_stats" ADD CONSTRAINT "kb_collection_stats_collection_id_kb_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "knowledge"."kb_collections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "kb_chunks_collection_document_idx" ON "knowledge"."kb_chunks" USING btree ("collection_id","document_id");--> statement-breakpoint
-- Search at scale (a database shared by many tenants). BM25F's collection statistics (how many
-- searchable documents, their field lengths) were computed by every search from every document of
-- the searched collections; they are now kept per collection by the triggers below, in the
-- transaction that changes the documents. Only documents with chunks count (as search counts them).
-- The triggers are statement-level and add up a statement's changes per collection, in collection
-- order, so that a batch of a thousand documents writes each collection's row once. The runtime
-- role reads the rows under the collections' policy and writes them only through the triggers.
alter table knowledge.kb_collection_stats enable row level security;
alter table knowledge.kb_collection_stats force row level security;
create policy kb_collection_stats_access on knowledge.kb_collection_stats
  using (collection_id in (select id from knowledge.kb_collections))
  with check (collection_id in (select id from knowledge.kb_collections));
revoke insert, update, delete on knowledge.kb_collection_stats from knowledge_app;

create function knowledge.add_collection_stats(p_changes jsonb) returns void
  language sql security definer
  set search_path = knowledge, pg_temp
  as $$
    insert into knowledge.kb_collection_stats as s (collection_id, documents, name_terms, lead_terms, body_terms)
    select c.collection_id, c.documents, c.name_terms, c.lead_terms, c.body_terms
    from jsonb_to_recordset(p_changes) as c(collection_id uuid, documents bigint, name_terms bigint, lead_terms bigint, body_terms bigint)
    where (c.documents <> 0 or c.name_terms <> 0 or c.lead_terms <> 0 or c.body_terms <> 0)
      -- A collection being deleted takes its documents (and its row here) with it: nothing to count.
      and exists (select 1 from knowledge.kb_collections k where k.id = c.collection_id)
    order by c.collection_id
    on conflict (collection_id) do update
      set documents = s.documents + excluded.documents, name_terms = s.name_terms + excluded.name_terms,
          lead_terms = s.lead_terms + excluded.lead_terms, body_terms = s.body_terms + excluded.body_terms
  $$;
revoke all on function knowledge.add_collection_stats(jsonb) from public;

create function knowledge.kb_documents_stats_inserted() returns trigger
  language plpgsql security definer
  set search_path = knowledge, pg_temp
  as $$
  begin
    perform knowledge.add_collection_stats(coalesce((
      select jsonb_agg(c) from (
        select collection_id, count(*) as documents, sum(name_terms) as name_terms, sum(lead_terms) as lead_terms,
               sum(body_terms) as body_terms
        from new_rows where chunk_count > 0 group by collection_id) c), '[]'));
    return null;
  end $$;

create function knowledge.kb_documents_stats_deleted() returns trigger
  language plpgsql security definer
  set search_path = knowledge, pg_temp
  as $$
  begin
    perform knowledge.add_collection_stats(coalesce((
      select jsonb_agg(c) from (
        select collection_id, -count(*) as documents, -sum(name_terms) as name_terms, -sum(lead_terms) as lead_terms,
               -sum(body_terms) as body_terms
        from old_rows where chunk_count > 0 group by collection_id) c), '[]'));
    return null;
  end $$;

create function knowledge.kb_documents_stats_updated() returns trigger
  language plpgsql security definer
  set search_path = knowledge, pg_temp
  as $$
  begin
    perform knowledge.add_collection_stats(coalesce((
      select jsonb_agg(c) from (
        select collection_id, sum(documents) as documents, sum(name_terms) as name_terms, sum(lead_terms) as lead_terms,
               sum(body_terms) as body_terms
        from (select collection_id, 1 as documents, name_terms, lead_terms, body_terms from new_rows where chunk_count > 0
              union all
              select collection_id, -1, -name_terms, -lead_terms, -body_terms from old_rows where chunk_count > 0) changes
        group by collection_id) c), '[]'));
    return null;
  end $$;

create trigger kb_documents_stats_inserted after insert on knowledge.kb_documents
  referencing new table as new_rows for each statement execute function knowledge.kb_documents_stats_inserted();
create trigger kb_documents_stats_deleted after delete on knowledge.kb_documents
  referencing old table as old_rows for each statement execute function knowledge.kb_documents_stats_deleted();
create trigger kb_documents_stats_updated after update on knowledge.kb_documents
  referencing old table as old_rows new table as new_rows for each statement execute function knowledge.kb_documents_stats_updated();

-- The collections indexed before this migration (as platform admin: the tables force row-level
-- security on their owner too).
select set_config('app.platform_admin', 'true', true);
insert into knowledge.kb_collection_stats (collection_id, documents, name_terms, lead_terms, body_terms)
select collection_id, count(*), sum(name_terms), sum(lead_terms), sum(body_terms)
from knowledge.kb_documents where chunk_count > 0 group by collection_id;

-- Fresh planner statistics after a bulk load, which autovacuum gathers only once a tenth of a
-- table has changed, and then a minute or more later: a new tenant's collection is unknown to the
-- planner until then. The indexing worker calls this after its batches (see
-- refresh-statistics.ts); it analyzes the search tables when any of them changed by more than
-- 5% (and 1,000 rows) since they were last analyzed, and answers whether it did. As the tables'
-- owner: the runtime role may not analyze them.
create function knowledge.refresh_search_statistics() returns boolean
  language plpgsql security definer
  set search_path = knowledge, pg_catalog, pg_temp
  as $$
  declare
    stale boolean;
  begin
    select coalesce(bool_or(s.n_mod_since_analyze > 1000 + 0.05 * greatest(c.reltuples, 0)), false) into stale
    from pg_stat_user_tables s join pg_class c on c.oid = s.relid
    where s.schemaname = 'knowledge' and s.relname in ('kb_documents', 'kb_chunks', 'kb_terms');
    if stale then
      analyze knowledge.kb_documents, knowledge.kb_chunks, knowledge.kb_terms;
    end if;
    return stale;
  end $$;
revoke all on function knowledge.refresh_search_statistics() from public;
grant execute on function knowledge.refresh_search_statistics() to knowledge_app;
