import { failedJobsTable, outboxTable, processedEventsTable } from '@conduit/db';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const workspace = pgSchema('workspace');

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

const times = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

/**
 * Set by the stamp_change trigger on every insert and update (the values given are replaced): the
 * row's sync scope (its team, else its user) and its place in that scope's changes.
 */
const changeStamp = () => ({
  syncScope: uuid('sync_scope').notNull().default(sql`'00000000-0000-0000-0000-000000000000'`),
  changeSeq: bigint('change_seq', { mode: 'number' }).notNull().default(sql`0`),
});

export const userPreferences = workspace.table('user_preferences', {
  userId: uuid('user_id').primaryKey(),
  preferredModel: text('preferred_model'),
  systemPrompt: text('system_prompt'),
  ...times,
  ...changeStamp(),
});

export const themeSettings = workspace.table('theme_settings', {
  userId: uuid('user_id').primaryKey(),
  mode: text('mode', { enum: ['light', 'dark', 'system'] })
    .notNull()
    .default('system'),
  accentColor: text('accent_color'),
  fontSize: text('font_size', { enum: ['small', 'medium', 'large'] })
    .notNull()
    .default('medium'),
  custom: jsonb('custom').$type<Record<string, unknown>>().notNull().default({}),
  ...times,
  ...changeStamp(),
});

export const customizationPreferences = workspace.table('customization_preferences', {
  userId: uuid('user_id').primaryKey(),
  showTimestamps: boolean('show_timestamps').notNull().default(true),
  showModelNames: boolean('show_model_names').notNull().default(true),
  compactMode: boolean('compact_mode').notNull().default(false),
  sendOnEnter: boolean('send_on_enter').notNull().default(true),
  features: jsonb('features').$type<Record<string, unknown>>().notNull().default({}),
  ...times,
  ...changeStamp(),
});

export const encryptedChats = workspace.table(
  'encrypted_chats',
  {
    id: uuid('id').primaryKey(),
    ownerUserId: uuid('owner_user_id').notNull(),
    keyId: text('key_id').notNull(),
    algorithm: text('algorithm').notNull(),
    nonce: bytea('nonce').notNull(),
    ciphertext: bytea('ciphertext').notNull(),
    titleNonce: bytea('title_nonce'),
    titleCiphertext: bytea('title_ciphertext'),
    version: integer('version').notNull().default(1),
    lastMessageAt: timestamp('last_message_at', { withTimezone: true }),
    ...times,
    ...changeStamp(),
  },
  (t) => [index('encrypted_chats_owner_idx').on(t.ownerUserId, t.id)],
);

export const media = workspace.table(
  'media',
  {
    id: uuid('id').primaryKey(),
    ownerUserId: uuid('owner_user_id').notNull(),
    teamId: uuid('team_id'),
    name: text('name').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    storageKey: text('storage_key').notNull().unique('media_storage_key_unique'),
    public: boolean('public').notNull().default(false),
    /** What its upload reserved of the payer's storage_mb, given back when it is deleted. */
    usageMb: integer('usage_mb').notNull().default(0),
    usagePeriodEnd: timestamp('usage_period_end', { withTimezone: true }),
    ...times,
    ...changeStamp(),
  },
  (t) => [index('media_owner_idx').on(t.ownerUserId, t.id), index('media_team_idx').on(t.teamId, t.id)],
);

export const projects = workspace.table(
  'projects',
  {
    id: uuid('id').primaryKey(),
    ownerUserId: uuid('owner_user_id').notNull(),
    teamId: uuid('team_id'),
    name: text('name').notNull(),
    description: text('description'),
    ...times,
    ...changeStamp(),
  },
  (t) => [index('projects_owner_idx').on(t.ownerUserId, t.id), index('projects_team_idx').on(t.teamId, t.id)],
);

export const projectChats = workspace.table(
  'project_chats',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    ownerUserId: uuid('owner_user_id').notNull(),
    teamId: uuid('team_id'),
    encryptedChatId: uuid('encrypted_chat_id').references(() => encryptedChats.id, { onDelete: 'cascade' }),
    /** A conversation service chat session (a plain id: another service's row). */
    sessionId: uuid('session_id'),
    ...times,
    ...changeStamp(),
  },
  (t) => [
    uniqueIndex('project_chats_encrypted_unique')
      .on(t.projectId, t.encryptedChatId)
      .where(sql`encrypted_chat_id is not null`),
    uniqueIndex('project_chats_session_unique')
      .on(t.projectId, t.sessionId)
      .where(sql`session_id is not null`),
    index('project_chats_chat_idx').on(t.encryptedChatId),
  ],
);

export const projectFiles = workspace.table(
  'project_files',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    ownerUserId: uuid('owner_user_id').notNull(),
    teamId: uuid('team_id'),
    mediaId: uuid('media_id')
      .notNull()
      .references(() => media.id, { onDelete: 'cascade' }),
    ...times,
    ...changeStamp(),
  },
  (t) => [
    unique('project_files_unique').on(t.projectId, t.mediaId),
    index('project_files_media_idx').on(t.mediaId),
  ],
);

/** Written by the record_tombstone trigger when a synced row is deleted. */
export const tombstones = workspace.table(
  'tombstones',
  {
    entity: text('entity').notNull(),
    entityId: uuid('entity_id').notNull(),
    ownerUserId: uuid('owner_user_id').notNull(),
    teamId: uuid('team_id'),
    deletedAt: timestamp('deleted_at', { withTimezone: true }).notNull().defaultNow(),
    ...changeStamp(),
  },
  (t) => [primaryKey({ name: 'tombstones_pk', columns: [t.entity, t.entityId] })],
);

/** The highest change sequence the tombstone prune removed of each scope (see sync-history.ts). */
export const syncHorizons = workspace.table('sync_horizons', {
  syncScope: uuid('sync_scope').primaryKey(),
  prunedThrough: bigint('pruned_through', { mode: 'number' }).notNull(),
  prunedAt: timestamp('pruned_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * A user left a team (identity.team.member_removed): a change of the user's own scope, so their
 * next sync tells them to drop the team's rows. Inactive once they rejoined after it.
 */
export const teamDepartures = workspace.table(
  'team_departures',
  {
    userId: uuid('user_id').notNull(),
    leftTeamId: uuid('left_team_id').notNull(),
    leftAt: timestamp('left_at', { withTimezone: true }).notNull(),
    rejoinedAt: timestamp('rejoined_at', { withTimezone: true }),
    ...changeStamp(),
  },
  (t) => [primaryKey({ name: 'team_departures_pk', columns: [t.userId, t.leftTeamId] })],
);

/** A bot's files, by path (migration 0003): written by its scripts as its owner, not synced. */
export const botFiles = workspace.table(
  'bot_files',
  {
    id: uuid('id').primaryKey(),
    botId: uuid('bot_id').notNull(),
    ownerUserId: uuid('owner_user_id').notNull(),
    teamId: uuid('team_id'),
    path: text('path').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    storageKey: text('storage_key').notNull().unique('bot_files_storage_key_unique'),
    ...times,
  },
  (t) => [unique('bot_files_path_unique').on(t.botId, t.path)],
);

/**
 * A payer's bot files in all (migration 0004): their bytes and the storage_mb held for them, the
 * ceiling of the bytes in mebibytes. A write locks its payer's row.
 */
export const botFileUsage = workspace.table(
  'bot_file_usage',
  {
    payerType: text('payer_type', { enum: ['user', 'team'] }).notNull(),
    payerId: uuid('payer_id').notNull(),
    bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
    reservedMb: integer('reserved_mb').notNull().default(0),
    periodEnd: timestamp('period_end', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'bot_file_usage_pkey', columns: [t.payerType, t.payerId] })],
);

export const objectDeletions = workspace.table('object_deletions', {
  storageKey: text('storage_key').primaryKey(),
  requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
  attempts: integer('attempts').notNull().default(0),
});

export const outbox = outboxTable(workspace);
export const processedEvents = processedEventsTable(workspace);
export const failedJobs = failedJobsTable(workspace);
