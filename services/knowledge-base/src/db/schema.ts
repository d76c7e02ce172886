import { failedJobsTable, outboxTable, processedEventsTable, timestamps } from '@conduit/db';
import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  check,
  customType,
  foreignKey,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  real,
  smallint,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const knowledge = pgSchema('knowledge');

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });
const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

/** A knowledge base: owned by a user (private) or shared with a team (team). */
export const kbCollections = knowledge.table(
  'kb_collections',
  {
    id: uuid('id').primaryKey(),
    organizationId: uuid('organization_id'),
    ownerUserId: uuid('owner_user_id').notNull(),
    teamId: uuid('team_id'),
    visibility: text('visibility', { enum: ['private', 'team'] }).notNull(),
    name: text('name').notNull(),
    description: text('description'),
    metadata: jsonb('metadata').notNull().default({}),
    ...timestamps,
  },
  (t) => [
    index('kb_collections_owner_idx').on(t.ownerUserId, t.id),
    index('kb_collections_team_idx').on(t.teamId),
    check('kb_collections_visibility_team', sql`(${t.visibility} = 'team') = (${t.teamId} is not null)`),
  ],
);

/** How a collection is chunked, searched and embedded; one row per collection. */
export const knowledgeBaseSettings = knowledge.table('knowledge_base_settings', {
  collectionId: uuid('collection_id')
    .primaryKey()
    .references(() => kbCollections.id, { onDelete: 'cascade' }),
  chunkSize: integer('chunk_size').notNull().default(500),
  chunkOverlap: integer('chunk_overlap').notNull().default(60),
  textSearchLanguage: text('text_search_language').notNull().default('english'),
  embeddingProvider: text('embedding_provider', { enum: ['local', 'openai'] })
    .notNull()
    .default('local'),
  embeddingModel: text('embedding_model').notNull().default('local-hash-256'),
  embeddingBaseUrl: text('embedding_base_url'),
  /** Sealed with the service keyring, bound to the collection id; never returned. */
  embeddingApiKeySealed: text('embedding_api_key_sealed'),
  ...timestamps,
});

/** Where documents come from: an upload, inline text, or a URL fetched once or on a schedule. */
export const datasources = knowledge.table(
  'datasources',
  {
    id: uuid('id').primaryKey(),
    collectionId: uuid('collection_id')
      .notNull()
      .references(() => kbCollections.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['upload', 'inline', 'url'] }).notNull(),
    url: text('url'),
    /** Cron pattern for URL sources fetched again and again; null = once. */
    schedule: text('schedule'),
    lastFetchedAt: timestamp('last_fetched_at', { withTimezone: true }),
    lastError: text('last_error'),
    createdBy: uuid('created_by').notNull(),
    ...timestamps,
  },
  (t) => [index('datasources_collection_idx').on(t.collectionId)],
);

export const kbDocuments = knowledge.table(
  'kb_documents',
  {
    id: uuid('id').primaryKey(),
    collectionId: uuid('collection_id')
      .notNull()
      .references(() => kbCollections.id, { onDelete: 'cascade' }),
    datasourceId: uuid('datasource_id').references(() => datasources.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    mediaType: text('media_type').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    contentHash: text('content_hash').notNull(),
    status: text('status', { enum: ['pending', 'indexing', 'indexed', 'failed'] })
      .notNull()
      .default('pending'),
    error: text('error'),
    attempts: integer('attempts').notNull().default(0),
    /** Bumped by every (re-)index request; a job for an older revision does nothing. */
    revision: integer('revision').notNull().default(1),
    chunkCount: integer('chunk_count').notNull().default(0),
    /** How many words (stop words aside) the document's name, lead and body hold: BM25's lengths. */
    nameTerms: integer('name_terms').notNull().default(0),
    leadTerms: integer('lead_terms').notNull().default(0),
    bodyTerms: integer('body_terms').notNull().default(0),
    metadata: jsonb('metadata').notNull().default({}),
    createdBy: uuid('created_by').notNull(),
    indexedAt: timestamp('indexed_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('kb_documents_collection_hash_key').on(t.collectionId, t.contentHash),
    // The key of the composite foreign keys below: a chunk, posting or original names its
    // document and that document's collection, so neither can point into another collection.
    unique('kb_documents_collection_id_key').on(t.collectionId, t.id),
    index('kb_documents_metadata_idx').using('gin', t.metadata),
  ],
);

/** The document of a row of a table below, in the row's own collection. */
const documentOfRow = (t: { collectionId: AnyPgColumn; documentId: AnyPgColumn }, table: string) =>
  foreignKey({
    name: `${table}_document_fk`,
    columns: [t.collectionId, t.documentId],
    foreignColumns: [kbDocuments.collectionId, kbDocuments.id],
  }).onDelete('cascade');

/** The original bytes of a document, kept so a collection can be re-indexed with new settings. */
export const kbDocumentOriginals = knowledge.table(
  'kb_document_originals',
  {
    documentId: uuid('document_id').primaryKey(),
    collectionId: uuid('collection_id')
      .notNull()
      .references(() => kbCollections.id, { onDelete: 'cascade' }),
    content: bytea('content').notNull(),
  },
  (t) => [documentOfRow(t, 'kb_document_originals')],
);

export const kbChunks = knowledge.table(
  'kb_chunks',
  {
    id: uuid('id').primaryKey(),
    // No key of its own to the collection: the document's key (documentOfRow) holds it, and a
    // collection's deletion reaches its chunks through its documents (migration 0011).
    collectionId: uuid('collection_id').notNull(),
    documentId: uuid('document_id').notNull(),
    ordinal: integer('ordinal').notNull(),
    content: text('content').notNull(),
    headingPath: text('heading_path').array().notNull().default(sql`'{}'::text[]`),
    charStart: integer('char_start').notNull(),
    charEnd: integer('char_end').notNull(),
    tokenCount: integer('token_count').notNull(),
    tsv: tsvector('tsv').notNull(),
    /** Unit-length embedding; cosine similarity is then a dot product. */
    embedding: real('embedding').array().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    documentOfRow(t, 'kb_chunks'),
    uniqueIndex('kb_chunks_document_ordinal_key').on(t.documentId, t.ordinal),
    // A collection's chunks of given documents (search's passages and vector leg) in one index
    // scan, whatever the planner knows of the collection: its statistics may predate the collection.
    index('kb_chunks_collection_document_idx').on(t.collectionId, t.documentId),
    // No index of `tsv`: no search looks chunks up by their words (migration 0015).
  ],
);

/**
 * The full-text index of documents: how often each word (a lexeme of the collection's text search
 * language) occurs in a document's name, lead and body. Search ranks documents from it with
 * BM25F (see text-leg.ts); chunks' tsvectors only pick the passage to show.
 */
export const kbTerms = knowledge.table(
  'kb_terms',
  {
    // As kb_chunks: the document's key holds the collection (one key checked per posting, not two).
    collectionId: uuid('collection_id').notNull(),
    lexeme: text('lexeme').notNull(),
    documentId: uuid('document_id').notNull(),
    nameTf: smallint('name_tf').notNull(),
    leadTf: smallint('lead_tf').notNull(),
    bodyTf: smallint('body_tf').notNull(),
    // The document's field lengths, which BM25F divides by: the text leg reads the postings alone
    // (migration 0014, whose key INCLUDEs them with the frequencies).
    nameTerms: integer('name_terms').notNull(),
    leadTerms: integer('lead_terms').notNull(),
    bodyTerms: integer('body_terms').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.collectionId, t.lexeme, t.documentId] }),
    // No foreign key to the document: about 19 postings per chunk each paid its own key check.
    // Statement-level triggers (migration 0012) check each statement's (collection, document)
    // pairs once and delete a document's postings with it.
    index('kb_terms_document_idx').on(t.documentId),
  ],
);

/**
 * What BM25F needs of a collection's searchable documents (those with chunks): how many there are
 * and the sums of their field lengths. Kept by triggers on kb_documents (migration 0010), so that
 * a search reads one row instead of every document of the collection.
 */
export const kbCollectionStats = knowledge.table('kb_collection_stats', {
  collectionId: uuid('collection_id')
    .primaryKey()
    .references(() => kbCollections.id, { onDelete: 'cascade' }),
  documents: bigint('documents', { mode: 'number' }).notNull().default(0),
  nameTerms: bigint('name_terms', { mode: 'number' }).notNull().default(0),
  leadTerms: bigint('lead_terms', { mode: 'number' }).notNull().default(0),
  bodyTerms: bigint('body_terms', { mode: 'number' }).notNull().default(0),
});

/** The `USE KB` of a chat session: which collections its bot answers from. */
export const userKbAssociations = knowledge.table(
  'user_kb_associations',
  {
    id: uuid('id').primaryKey(),
    sessionId: uuid('session_id').notNull(),
    /** The session's user (sessions belong to the conversation service). */
    userId: uuid('user_id').notNull(),
    collectionId: uuid('collection_id')
      .notNull()
      .references(() => kbCollections.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('user_kb_associations_session_collection_key').on(t.sessionId, t.collectionId),
    index('user_kb_associations_user_idx').on(t.userId, t.sessionId),
  ],
);

/**
 * Who owns a chat session, as the conversation service answered (rpc.conversation.sessions.owner)
 * the first time this service met it: a session never changes hands. Read and written only by
 * SECURITY DEFINER functions (0009); the runtime role has no rights on the table itself.
 */
export const sessionOwners = knowledge.table('session_owners', {
  sessionId: uuid('session_id').primaryKey(),
  userId: uuid('user_id').notNull(),
  recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
});

export const outbox = outboxTable(knowledge);
export const processedEvents = processedEventsTable(knowledge);
export const failedJobs = failedJobsTable(knowledge);
