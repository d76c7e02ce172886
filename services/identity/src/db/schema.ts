import { failedJobsTable, outboxTable, processedEventsTable } from '@conduit/db';
import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  inet,
  jsonb,
  pgSchema,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const identity = pgSchema('identity');

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

export const organizations = identity.table(
  'organizations',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    /** Made for one user at registration, as opposed to a shared organization. */
    personal: boolean('personal').notNull().default(false),
    ...timestamps,
  },
  (t) => [uniqueIndex('organizations_slug_key').on(t.slug)],
);

export const users = identity.table(
  'users',
  {
    id: uuid('id').primaryKey(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    email: text('email').notNull(),
    username: text('username').notNull(),
    name: text('name'),
    passwordHash: text('password_hash').notNull(),
    active: boolean('active').notNull().default(true),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
    uniqueIndex('users_username_lower_key').on(sql`lower(${t.username})`),
    index('users_organization_idx').on(t.organizationId),
  ],
);

/** One row per login on a device; also the rotation family of its refresh tokens. */
export const userSessions = identity.table(
  'user_sessions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    userAgent: text('user_agent'),
    device: text('device'),
    ip: inet('ip'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastActiveAt: timestamp('last_active_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedReason: text('revoked_reason'),
  },
  (t) => [index('user_sessions_user_idx').on(t.userId, t.id)],
);

/** Opaque refresh tokens, stored as SHA-256 hashes; each use spends one and issues its child. */
export const refreshTokens = identity.table(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => userSessions.id, { onDelete: 'cascade' }),
    parentId: uuid('parent_id'),
    tokenHash: text('token_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('refresh_tokens_hash_key').on(t.tokenHash),
    index('refresh_tokens_session_idx').on(t.sessionId),
  ],
);

const oneTimeTokenColumns = () => ({
  id: uuid('id').primaryKey(),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  tokenHash: text('token_hash').notNull(),
  requestedIp: inet('requested_ip'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true }),
});

/** One-time, magic-link style login tokens. */
export const userLoginTokens = identity.table('user_login_tokens', oneTimeTokenColumns(), (t) => [
  uniqueIndex('user_login_tokens_hash_key').on(t.tokenHash),
  index('user_login_tokens_user_idx').on(t.userId),
]);

export const passwordResets = identity.table('password_resets', oneTimeTokenColumns(), (t) => [
  uniqueIndex('password_resets_hash_key').on(t.tokenHash),
  index('password_resets_user_idx').on(t.userId),
]);

export const userPreferences = identity.table(
  'user_preferences',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    preferences: jsonb('preferences').notNull().default({}),
    ...timestamps,
  },
  (t) => [uniqueIndex('user_preferences_user_key').on(t.userId)],
);

/** Ed25519 keys that sign access tokens; private halves sealed with the service keyring. */
export const signingKeys = identity.table('signing_keys', {
  kid: text('kid').primaryKey(),
  publicJwk: jsonb('public_jwk').notNull(),
  privateKeySealed: text('private_key_sealed').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  retiredAt: timestamp('retired_at', { withTimezone: true }),
});

export const outbox = outboxTable(identity);
export const processedEvents = processedEventsTable(identity);
export const failedJobs = failedJobsTable(identity);
