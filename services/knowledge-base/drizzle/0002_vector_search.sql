-- Nearest-neighbour search over chunk embeddings. Embeddings are unit vectors stored as real[],
-- so cosine similarity is their dot product, computed here in plain SQL: this works on any
-- Postgres. Where the pgvector extension is available (the compose file's image), it is created
-- too, each chunk also gets its embedding as a `vector` (filled by a trigger) and an HNSW index
-- serves the built-in embedder's 256 dimensions; search uses it when the column exists.

create function knowledge.dot_product(a real[], b real[]) returns double precision
  language sql immutable strict parallel safe
  as $$ select sum(x::double precision * y) from unnest(a, b) as t(x, y) $$;

do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'vector') then
    execute 'create extension if not exists vector';
    execute 'alter table knowledge.kb_chunks add column embedding_vector vector';
    execute $f$
      create function knowledge.kb_chunks_fill_vector() returns trigger language plpgsql as $b$
      begin
        new.embedding_vector := new.embedding::vector;
        return new;
      end $b$ $f$;
    execute 'create trigger kb_chunks_fill_vector before insert or update of embedding on knowledge.kb_chunks
             for each row execute function knowledge.kb_chunks_fill_vector()';
    execute 'create index kb_chunks_embedding_hnsw_256 on knowledge.kb_chunks
             using hnsw ((embedding_vector::vector(256)) vector_cosine_ops)
             where vector_dims(embedding_vector) = 256';
  end if;
end $$;
