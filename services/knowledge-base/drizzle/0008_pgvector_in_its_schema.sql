-- 0002 created pgvector in the schema first on the migration's search path (knowledge), or found
-- it where an operator had created it; the runtime role's search path holds neither, so the
-- trigger that fills embedding_vector failed to find the type `vector` and every document failed
-- to index. The trigger now runs with the extension's schema as its search path (and the vector
-- leg names the type and operator by that schema; see vector-leg.ts). Documents that failed to
-- index for this reason index again with POST /v1/kb/collections/:id/reindex.
do $$
declare
  extension_schema name;
begin
  select n.nspname into extension_schema
    from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'vector';
  if extension_schema is not null and exists (
    select 1 from information_schema.columns
    where table_schema = 'knowledge' and table_name = 'kb_chunks' and column_name = 'embedding_vector'
  ) then
    execute format($f$
      create or replace function knowledge.kb_chunks_fill_vector() returns trigger language plpgsql
        set search_path = %I, pg_temp
      as $b$
      begin
        new.embedding_vector := new.embedding::vector;
        return new;
      end $b$ $f$, extension_schema);
  end if;
end $$;
