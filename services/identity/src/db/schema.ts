import { failedJobsTable, outboxTable, processedEventsTable, timestamps } from '@conduit/db';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  inet,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const identity = pgSchema('identity');

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
    /** The organization this session acts in (the `org` claim); the user's own when null. */
    organizationId: uuid('organization_id'),
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

// --- organizations, teams, roles and permissions ----------------------------------------------

export const organizationMembers = identity.table(
  'organization_members',
  {
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** owner | admin | member */
    role: text('role').notNull(),
    joinedAt: timestamp('joined_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.userId] }),
    index('organization_members_user_idx').on(t.userId),
  ],
);

export const teams = identity.table(
  'teams',
  {
    id: uuid('id').primaryKey(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    createdBy: uuid('created_by').notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex('teams_organization_slug_key').on(t.organizationId, t.slug)],
);

export const teamMembers = identity.table(
  'team_members',
  {
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** owner | admin | member | viewer */
    role: text('role').notNull(),
    invitedAt: timestamp('invited_at', { withTimezone: true }),
    joinedAt: timestamp('joined_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index('team_members_user_idx').on(t.userId)],
);

/** An invitation by email into an organization, and optionally one of its teams. */
export const invites = identity.table(
  'invites',
  {
    id: uuid('id').primaryKey(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    /** The role given on acceptance: in the team when there is one, else in the organization. */
    role: text('role').notNull(),
    tokenHash: text('token_hash').notNull(),
    invitedBy: uuid('invited_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    acceptedBy: uuid('accepted_by'),
    /** A bot automation's key for one ADD MEMBER of a run: a retry answers this invite again. */
    idempotencyKey: text('idempotency_key'),
  },
  (t) => [
    uniqueIndex('invites_token_hash_key').on(t.tokenHash),
    index('invites_organization_idx').on(t.organizationId),
    uniqueIndex('invites_idempotency_key')
      .on(t.invitedBy, t.idempotencyKey)
      .where(sql`idempotency_key is not null`),
  ],
);

/** Named sets of permissions: per organization, or platform-wide when organization_id is null. */
export const roles = identity.table(
  'roles',
  {
    id: uuid('id').primaryKey(),
    organizationId: uuid('organization_id').references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    builtIn: boolean('built_in').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('roles_organization_name_key').on(
      sql`coalesce(${t.organizationId}, '00000000-0000-0000-0000-000000000000'::uuid)`,
      t.name,
    ),
  ],
);

/** The catalog of permission names (seeded; see contracts' `permissions`). */
export const permissionsTable = identity.table('permissions', {
  name: text('name').primaryKey(),
  description: text('description').notNull(),
});

export const permissionRole = identity.table(
  'permission_role',
  {
    permissionName: text('permission_name')
      .notNull()
      .references(() => permissionsTable.name),
    roleId: uuid('role_id')
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.roleId, t.permissionName] })],
);

export const roleUser = identity.table(
  'role_user',
  {
    roleId: uuid('role_id')
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    grantedBy: uuid('granted_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.roleId, t.userId] }), index('role_user_user_idx').on(t.userId)],
);

/** A permission granted to one user directly, within one organization. */
export const permissionUser = identity.table(
  'permission_user',
  {
    permissionName: text('permission_name')
      .notNull()
      .references(() => permissionsTable.name),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    grantedBy: uuid('granted_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.organizationId, t.permissionName] })],
);

// --- subscriptions and usage ------------------------------------------------------------------

/** free | pro | team, with monthly limits per metric (seeded; changed by platform admins). */
export const plans = identity.table('plans', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** metric -> monthly limit, e.g. {"executions": 1000, "messages": 2000, "ai_credits": 500, "storage_mb": 100} */
  limits: jsonb('limits').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** The plan of a user or a team, and its current monthly period. */
export const userSubscriptions = identity.table(
  'user_subscriptions',
  {
    id: uuid('id').primaryKey(),
    /** user | team */
    subjectType: text('subject_type').notNull(),
    subjectId: uuid('subject_id').notNull(),
    planId: text('plan_id')
      .notNull()
      .references(() => plans.id),
    periodStart: timestamp('period_start', { withTimezone: true }).notNull(),
    /** When the counters reset. */
    periodEnd: timestamp('period_end', { withTimezone: true }).notNull(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('user_subscriptions_subject_key').on(t.subjectType, t.subjectId),
    index('user_subscriptions_period_end_idx').on(t.periodEnd),
  ],
);

/** Usage of one metric in the current period; `used` never exceeds `limit`. */
export const usageCounters = identity.table(
  'usage_counters',
  {
    subscriptionId: uuid('subscription_id')
      .notNull()
      .references(() => userSubscriptions.id, { onDelete: 'cascade' }),
    metric: text('metric').notNull(),
    used: bigint('used', { mode: 'number' }).notNull().default(0),
    /** NULL for a gauge (storage_mb) the plan does not limit: still counted (migration 0012). */
    limit: bigint('limit', { mode: 'number' }),
  },
  (t) => [primaryKey({ columns: [t.subscriptionId, t.metric] })],
);

// --- audit trail ------------------------------------------------------------------------------

/** Append-only record of security events of an account. */
export const userAccountActivities = identity.table(
  'user_account_activities',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    organizationId: uuid('organization_id'),
    /** login | login_failed | logout | password_changed | password_reset_requested | session_revoked | role_changed | member_added | member_removed | ... */
    type: text('type').notNull(),
    ip: inet('ip'),
    userAgent: text('user_agent'),
    metadata: jsonb('metadata').notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('user_account_activities_user_idx').on(t.userId, t.id)],
);

// --- profiles and credits (0006) --------------------------------------------------------------

/** A user's display fields beyond the account's own (the seed's `profiles`). */
export const profiles = identity.table('profiles', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  displayName: text('display_name'),
  ...timestamps,
});

/** The AI credits of a user or team beside its plan's quota; equal to the sum of its ledger rows. */
export const creditBalances = identity.table(
  'credit_balances',
  {
    /** user | team */
    subjectType: text('subject_type').notNull(),
    subjectId: uuid('subject_id').notNull(),
    balance: bigint('balance', { mode: 'number' }).notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.subjectType, t.subjectId] })],
);

/** Every top-up (> 0), spend (< 0) and give-back (> 0) of credits; append-only. */
export const creditLedger = identity.table(
  'credit_ledger',
  {
    id: uuid('id').primaryKey(),
    subjectType: text('subject_type').notNull(),
    subjectId: uuid('subject_id').notNull(),
    /** top_up | spend | release */
    kind: text('kind').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    reason: text('reason'),
    reservationId: uuid('reservation_id'),
    createdBy: uuid('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('credit_ledger_subject_idx').on(t.subjectType, t.subjectId, t.id),
    index('credit_ledger_reservation_idx').on(t.reservationId).where(sql`reservation_id is not null`),
  ],
);

// --- global settings (0007) -------------------------------------------------------------------

/** site_name | default_plan | signup_open | default_model, each value as JSON. */
export const globalSettings = identity.table('global_settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedBy: uuid('updated_by'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
