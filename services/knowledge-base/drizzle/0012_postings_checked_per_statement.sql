-- A posting names its document and the document's collection. The composite foreign key that
-- held them together checked each inserted posting on its own (a look-up of the document per row,
-- about 19 postings per chunk): a third of what storing the postings cost the database while
-- indexing. Statement-level triggers keep the same rules at a statement's cost instead: the pairs
-- a statement wrote are checked once each (and their documents locked, as the key locked them),
-- and deleting documents deletes their postings. A document's (collection_id, id) cannot change
-- under its postings: its original and chunks still hold foreign keys that refuse it.
-- Both run as platform admin: the tables force row-level security, and a collection's deletion
-- reaches its documents when the collection row is already gone (its postings invisible to the
-- caller's policies).
ALTER TABLE "knowledge"."kb_terms" DROP CONSTRAINT "kb_terms_document_fk";--> statement-breakpoint

create function knowledge.kb_terms_check_documents() returns trigger
  language plpgsql security definer
  set search_path = knowledge, pg_temp
  set app.platform_admin = 'true'
  as $$
  declare
    pairs bigint;
    present bigint;
  begin
    select count(*) into pairs from (select distinct collection_id, document_id from new_rows) p;
    -- FOR KEY SHARE, as a foreign key check: a deletion of the document waits for this
    -- transaction, and a row deleted meanwhile is not found.
    with present_documents as (
      select d.id from knowledge.kb_documents d
      where (d.collection_id, d.id) in (select collection_id, document_id from new_rows)
      for key share of d
    )
    select count(*) into present from present_documents;
    if present < pairs then
      raise exception 'a posting names a document that is not in its collection'
        using errcode = 'foreign_key_violation';
    end if;
    return null;
  end $$;--> statement-breakpoint

create trigger kb_terms_documents_inserted after insert on knowledge.kb_terms
  referencing new table as new_rows for each statement execute function knowledge.kb_terms_check_documents();--> statement-breakpoint
create trigger kb_terms_documents_updated after update on knowledge.kb_terms
  referencing new table as new_rows for each statement execute function knowledge.kb_terms_check_documents();--> statement-breakpoint

create function knowledge.kb_documents_terms_deleted() returns trigger
  language plpgsql security definer
  set search_path = knowledge, pg_temp
  set app.platform_admin = 'true'
  as $$
  begin
    delete from knowledge.kb_terms t using old_rows o where t.document_id = o.id;
    return null;
  end $$;--> statement-breakpoint

create trigger kb_documents_terms_deleted after delete on knowledge.kb_documents
  referencing old table as old_rows for each statement execute function knowledge.kb_documents_terms_deleted();
