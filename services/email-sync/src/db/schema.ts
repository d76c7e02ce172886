import { emailEvents } from '@conduit/contracts';
import { failedJobsTable, outboxTable, processedEventsTable, timestamps } from '@conduit/db';
import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgSchema,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const email = pgSchema('email');

export const securityModes = ['tls', 'starttls', 'none'] as const;
export type SecurityMode = (typeof securityModes)[number];

/**
 * Where an account's sync stands: `connecting` before its first successful login, `syncing`
 * while a sync runs, `idle` between syncs, `auth_error` after the server refused the credentials
 * (no retry until the account changes), `connect_error` while the server cannot be reached
 * (retried with backoff), `disabled` when the account is not active.
 */
export const syncStates = [
  'connecting',
  'syncing',
  'idle',
  'auth_error',
  'connect_error',
  'disabled',
] as const;
export type SyncState = (typeof syncStates)[number];

export const specialUses = ['inbox', 'sent', 'drafts', 'trash', 'junk', 'archive', 'all', 'flagged'] as const;
export type SpecialUse = (typeof specialUses)[number];

export const outboundStatuses = ['queued', 'sending', 'sent', 'failed', 'canceled'] as const;
export type OutboundStatus = (typeof outboundStatuses)[number];

/** Where an outbound message came from (the contract's list: email.message.sent carries it). */
export const outboundSources = emailEvents.outboundMailSources;

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/** An address as a message header names it. */
export interface MailAddress {
  name: string;
  address: string;
}

/** An attachment as the message lists it; its content is read from the server on demand. */
export interface AttachmentMeta {
  /** The MIME part number (BODYSTRUCTURE path), used to fetch the content. */
  part: string;
  filename: string | null;
  contentType: string;
  size: number;
  contentId: string | null;
  inline: boolean;
}

/**
 * A mailbox connected by a user or for a team (`team_id`). The password is sealed with
 * @conduit/secrets, bound to the row id, and never leaves the service. Column names of seed 001
 * are kept (`email_address`, `imap_server`, `encrypted_password`, ...); the rest is what sync needs.
 */
export const userEmailAccounts = email.table(
  'user_email_accounts',
  {
    id: uuid('id').primaryKey(),
    organizationId: uuid('organization_id'),
    userId: uuid('user_id').notNull(),
    teamId: uuid('team_id'),
    /** A bot whose `SEND MAIL` sends from this account (conversation's bot id; no foreign key). */
    botId: uuid('bot_id'),
    emailAddress: text('email_address').notNull(),
    displayName: text('display_name'),
    imapServer: text('imap_server').notNull(),
    imapPort: integer('imap_port').notNull(),
    imapSecurity: text('imap_security', { enum: securityModes }).notNull().default('tls'),
    smtpServer: text('smtp_server').notNull(),
    smtpPort: integer('smtp_port').notNull(),
    smtpSecurity: text('smtp_security', { enum: securityModes }).notNull().default('tls'),
    username: text('username').notNull(),
    encryptedPassword: text('encrypted_password').notNull(),
    active: boolean('active').notNull().default(true),
    syncState: text('sync_state', { enum: syncStates }).notNull().default('connecting'),
    lastError: text('last_error'),
    lastErrorAt: timestamp('last_error_at', { withTimezone: true }),
    lastSyncAt: timestamp('last_sync_at', { withTimezone: true }),
    /** Connection failures in a row: the backoff before the next attempt grows with it. */
    connectFailures: integer('connect_failures').notNull().default(0),
    /** No sync before this (backoff after a connection error). */
    retryAfter: timestamp('retry_after', { withTimezone: true }),
    /** Bumped by every change of server or credentials: a sync that started before it stops. */
    configVersion: integer('config_version').notNull().default(1),
    ...timestamps,
  },
  (t) => [
    index('user_email_accounts_user_idx').on(t.userId, t.id),
    index('user_email_accounts_team_idx').on(t.teamId),
  ],
);

/**
 * A mailbox folder with its sync state: `uidvalidity`, `uidnext` and `highestmodseq` as last
 * seen, and the first sync's progress (`first_sync_below`: the next batch fetches UIDs below it,
 * newest first, so a crash resumes where the last committed batch ended).
 */
export const emailFolders = email.table(
  'email_folders',
  {
    id: uuid('id').primaryKey(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => userEmailAccounts.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    path: text('path').notNull(),
    delimiter: text('delimiter'),
    parentId: uuid('parent_id').references((): AnyPgColumn => emailFolders.id, { onDelete: 'set null' }),
    specialUse: text('special_use', { enum: specialUses }),
    messageCount: integer('message_count').notNull().default(0),
    unreadCount: integer('unread_count').notNull().default(0),
    uidvalidity: bigint('uidvalidity', { mode: 'number' }),
    uidnext: bigint('uidnext', { mode: 'number' }),
    highestmodseq: bigint('highestmodseq', { mode: 'bigint' }),
    /** The first sync fetches UIDs below this next (null: not started); done when `first_sync_done`. */
    firstSyncBelow: bigint('first_sync_below', { mode: 'number' }),
    firstSyncDone: boolean('first_sync_done').notNull().default(false),
    /** Messages on the server when the first sync started, and how many of them are stored. */
    firstSyncTotal: integer('first_sync_total').notNull().default(0),
    firstSyncFetched: integer('first_sync_fetched').notNull().default(0),
    /** Last full compare of flags and UIDs (servers without CONDSTORE / QRESYNC). */
    lastFullCheckAt: timestamp('last_full_check_at', { withTimezone: true }),
    lastSyncAt: timestamp('last_sync_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [unique('email_folders_account_path_key').on(t.accountId, t.path)],
);

/**
 * One message of a folder, keyed by the server's (uidvalidity, uid) in that folder: a resumed or
 * repeated sync inserts nothing twice, and its `email.message.received` event is written only by
 * the insert that created the row.
 */
export const emailMessages = email.table(
  'email_messages',
  {
    id: uuid('id').primaryKey(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => userEmailAccounts.id, { onDelete: 'cascade' }),
    folderId: uuid('folder_id')
      .notNull()
      .references(() => emailFolders.id, { onDelete: 'cascade' }),
    uidvalidity: bigint('uidvalidity', { mode: 'number' }).notNull(),
    uid: bigint('uid', { mode: 'number' }).notNull(),
    modseq: bigint('modseq', { mode: 'bigint' }),
    messageId: text('message_id'),
    inReplyTo: text('in_reply_to'),
    references: text('references').array().notNull().default(sql`'{}'::text[]`),
    /** The Message-ID at the root of its References chain (its own when it starts a thread). */
    threadId: text('thread_id'),
    fromAddress: jsonb('from_address').$type<MailAddress | null>(),
    toAddresses: jsonb('to_addresses').$type<MailAddress[]>().notNull().default([]),
    ccAddresses: jsonb('cc_addresses').$type<MailAddress[]>().notNull().default([]),
    bccAddresses: jsonb('bcc_addresses').$type<MailAddress[]>().notNull().default([]),
    replyTo: jsonb('reply_to').$type<MailAddress[]>().notNull().default([]),
    subject: text('subject'),
    /** The Date header (null when absent or unreadable). */
    sentAt: timestamp('sent_at', { withTimezone: true }),
    /** The server's INTERNALDATE: lists sort by it. */
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    flags: text('flags').array().notNull().default(sql`'{}'::text[]`),
    size: integer('size').notNull().default(0),
    snippet: text('snippet'),
    textBody: text('text_body'),
    htmlBody: text('html_body'),
    attachments: jsonb('attachments').$type<AttachmentMeta[]>().notNull().default([]),
    /** Bodies were cut at BODY_MAX_BYTES, or not read (message over MESSAGE_MAX_BYTES). */
    bodyTruncated: boolean('body_truncated').notNull().default(false),
    /** What could not be read of it (malformed MIME, unknown charset); what could is stored. */
    parseError: text('parse_error'),
    /**
     * Subject, addresses and text body for full-text search (email.message_search_vector): filled
     * when the message is indexed, so a message is found once its indexing pass has run.
     */
    search: tsvector('search'),
    /** The source as fetched, kept only until the indexing pass has extracted its bodies. */
    rawSource: bytea('raw_source'),
    /** When bodies, snippet and `search` were extracted; null while the indexing pass has it to do. */
    indexedAt: timestamp('indexed_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    unique('email_messages_folder_uid_key').on(t.accountId, t.folderId, t.uidvalidity, t.uid),
    index('email_messages_folder_received_idx').on(t.folderId, t.receivedAt.desc(), t.id.desc()),
    index('email_messages_account_thread_idx').on(t.accountId, t.threadId),
    index('email_messages_account_message_id_idx').on(t.accountId, t.messageId),
    index('email_messages_search_idx').using('gin', t.search),
    index('email_messages_unindexed_idx').on(t.accountId, t.id).where(sql`${t.indexedAt} is null`),
  ],
);

/** A draft (seed 001's columns) of a user's, on one of the accounts they may send from. */
export const emailDrafts = email.table(
  'email_drafts',
  {
    id: uuid('id').primaryKey(),
    organizationId: uuid('organization_id'),
    userId: uuid('user_id').notNull(),
    teamId: uuid('team_id'),
    accountId: uuid('account_id')
      .notNull()
      .references(() => userEmailAccounts.id, { onDelete: 'cascade' }),
    toAddresses: text('to_addresses').array().notNull().default(sql`'{}'::text[]`),
    ccAddresses: text('cc_addresses').array().notNull().default(sql`'{}'::text[]`),
    bccAddresses: text('bcc_addresses').array().notNull().default(sql`'{}'::text[]`),
    subject: text('subject').notNull().default(''),
    body: text('body').notNull().default(''),
    htmlBody: text('html_body'),
    /** Attachment metadata (name, content type, size, and where its content is kept). */
    attachments: jsonb('attachments').notNull().default([]),
    /** A reply: the message answered (In-Reply-To / References come from it). */
    inReplyToMessageId: uuid('in_reply_to_message_id').references(() => emailMessages.id, {
      onDelete: 'set null',
    }),
    inReplyTo: text('in_reply_to'),
    references: text('references').array().notNull().default(sql`'{}'::text[]`),
    /** A bot automation's key for one CREATE DRAFT of a run: a retry answers this draft again. */
    idempotencyKey: text('idempotency_key'),
    ...timestamps,
  },
  (t) => [
    index('email_drafts_user_idx').on(t.userId, t.id),
    index('email_drafts_account_idx').on(t.accountId),
    uniqueIndex('email_drafts_idempotency_key')
      .on(t.accountId, t.idempotencyKey)
      .where(sql`idempotency_key is not null`),
  ],
);

/**
 * A template with `{{variables}}`: a user's or a team's, or a system one (`key` set, no owner) that
 * operators change and platform mail (identity's password reset, sign-in) is rendered from.
 */
export const emailTemplates = email.table(
  'email_templates',
  {
    id: uuid('id').primaryKey(),
    organizationId: uuid('organization_id'),
    userId: uuid('user_id'),
    teamId: uuid('team_id'),
    /** A system template's stable name (e.g. `identity.password_reset`); null for users' own. */
    key: text('key'),
    name: text('name').notNull(),
    subject: text('subject').notNull(),
    htmlBody: text('html_body'),
    textBody: text('text_body'),
    /** Sample values of its variables, for previews. */
    sampleValues: jsonb('sample_values').notNull().default({}),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('email_templates_key_idx').on(t.key).where(sql`${t.key} is not null`),
    index('email_templates_user_idx').on(t.userId, t.id),
  ],
);

/**
 * Outbound mail, written in the same transaction as the request to send it: the send job reads it
 * from here. `message_id` and `raw` are fixed before the first attempt, so every retry sends the
 * same message (a provider that de-duplicates by Message-ID keeps one copy).
 */
export const emailOutbound = email.table(
  'email_outbound',
  {
    id: uuid('id').primaryKey(),
    organizationId: uuid('organization_id'),
    userId: uuid('user_id').notNull(),
    teamId: uuid('team_id'),
    /** Null: sent through the platform's MAIL_URL (system mail, a bot without an account). */
    accountId: uuid('account_id').references(() => userEmailAccounts.id, { onDelete: 'cascade' }),
    draftId: uuid('draft_id').references(() => emailDrafts.id, { onDelete: 'set null' }),
    templateId: uuid('template_id').references(() => emailTemplates.id, { onDelete: 'set null' }),
    source: text('source', { enum: outboundSources }).notNull(),
    /** Dedupes a request sent twice (e.g. a conversation event id). */
    idempotencyKey: text('idempotency_key'),
    messageId: text('message_id').notNull(),
    fromAddress: text('from_address').notNull(),
    toAddresses: text('to_addresses').array().notNull().default(sql`'{}'::text[]`),
    ccAddresses: text('cc_addresses').array().notNull().default(sql`'{}'::text[]`),
    bccAddresses: text('bcc_addresses').array().notNull().default(sql`'{}'::text[]`),
    subject: text('subject').notNull().default(''),
    inReplyTo: text('in_reply_to'),
    references: text('references').array().notNull().default(sql`'{}'::text[]`),
    /** The whole RFC 5322 message as first composed. */
    raw: text('raw'),
    status: text('status', { enum: outboundStatuses }).notNull().default('queued'),
    sendAt: timestamp('send_at', { withTimezone: true }).notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(0),
    /** While `sending`: the send job's lease, renewed as it runs; once past, a dead run's message is taken again. */
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    lastError: text('last_error'),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    /** The copy in the account's Sent folder was appended (a retry does not append it again). */
    appendedToSent: boolean('appended_to_sent').notNull().default(false),
    /** Who was charged emails_sent for it (its team, else its owner); null when nothing was reserved. */
    usageSubjectType: text('usage_subject_type', { enum: ['user', 'team'] }),
    usageSubjectId: uuid('usage_subject_id'),
    /** emails_sent reserved: one per recipient. */
    usageAmount: integer('usage_amount'),
    /** The period the reservation was made in, as identity answered it (its release names it). */
    usagePeriodEnd: timestamp('usage_period_end', { withTimezone: true }),
    /** When the reservation was given back (a send failed for good, or was canceled). */
    usageReleasedAt: timestamp('usage_released_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('email_outbound_idempotency_idx')
      .on(t.userId, t.idempotencyKey)
      .where(sql`${t.idempotencyKey} is not null`),
    uniqueIndex('email_outbound_message_id_idx').on(t.messageId),
    index('email_outbound_due_idx').on(t.status, t.sendAt),
    index('email_outbound_user_idx').on(t.userId, t.id),
  ],
);

export const outbox = outboxTable(email);
export const processedEvents = processedEventsTable(email);
export const failedJobs = failedJobsTable(email);
