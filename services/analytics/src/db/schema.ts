import { failedJobsTable, outboxTable, processedEventsTable } from '@conduit/db';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const analytics = pgSchema('analytics');

/** Stands for "none" in the counters' key columns, which cannot be null in a primary key. */
export const NONE = '00000000-0000-0000-0000-000000000000';

/**
 * Every event ever recorded, by id: the claim that makes an event count once. It is a table of
 * its own because the event table is partitioned by time, and a unique key of a partitioned
 * table must include the partition key (a redelivery carries the same id, not always the same
 * time for a client event).
 */
export const eventKeys = analytics.table(
  'event_keys',
  {
    id: uuid('id').primaryKey(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
  },
  (table) => [index('event_keys_occurred_at_idx').on(table.occurredAt)],
);

/**
 * The record of what happened (seed: user_analytics): one row per event from the bus or from a
 * client app, with who and what it concerns and the metric values it counts for. Partitioned by
 * month of `occurred_at` (hand-written in 0000, see partitions in 0001).
 */
export const userAnalytics = analytics.table(
  'user_analytics',
  {
    id: uuid('id').notNull(),
    /** The event's subject (`conversation.message.created`) or `client.<type>`. */
    eventType: text('event_type').notNull(),
    /** The producing service, or `client`. */
    source: text('source').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    organizationId: uuid('organization_id'),
    userId: uuid('user_id'),
    teamId: uuid('team_id'),
    botId: uuid('bot_id'),
    sessionId: uuid('session_id'),
    workflowId: uuid('workflow_id'),
    collectionId: uuid('collection_id'),
    accountId: uuid('account_id'),
    /** Metric name -> amount this event adds to it (e.g. `{"tokens_in": 120}`). */
    metrics: jsonb('metrics').$type<Record<string, number>>().notNull(),
    /** The event's data without secrets or free text (see event-metrics.ts). */
    eventData: jsonb('event_data').$type<Record<string, unknown>>().notNull(),
    /** A client timestamp more than a day ahead, replaced by the time it was received. */
    clockSkewed: boolean('clock_skewed').notNull().default(false),
  },
  (table) => [
    primaryKey({ columns: [table.occurredAt, table.id] }),
    index('user_analytics_user_idx').on(table.userId, table.occurredAt),
    index('user_analytics_team_idx').on(table.teamId, table.occurredAt),
    index('user_analytics_org_idx').on(table.organizationId, table.occurredAt),
  ],
);

/**
 * Exact counters per metric, organization, team, user, dimension (bot, workflow, collection,
 * account, or none) and 15-minute bucket, so that any day in any time zone is a sum of whole
 * buckets. Written only in the transaction that inserts the events they count, at three levels
 * (0002): the user's (user set), the team's (no user, a team), the organization's (neither).
 */
export const rollups = analytics.table(
  'rollups',
  {
    metric: text('metric').notNull(),
    organizationId: uuid('organization_id').notNull().default(NONE),
    bucket: timestamp('bucket', { withTimezone: true }).notNull(),
    userId: uuid('user_id').notNull().default(NONE),
    teamId: uuid('team_id').notNull().default(NONE),
    /** `''` for the total of the (organization, team, user) cell, else `bot`, `workflow`, ... */
    dimension: text('dimension').notNull().default(''),
    dimensionId: uuid('dimension_id').notNull().default(NONE),
    value: bigint('value', { mode: 'number' }).notNull(),
  },
  (table) => [
    primaryKey({
      columns: [
        table.metric,
        table.organizationId,
        table.bucket,
        table.userId,
        table.teamId,
        table.dimension,
        table.dimensionId,
      ],
    }),
    // One index per level of counters (drizzle/0003_counter_level_indexes.sql, which also makes
    // the organization's level covering: INCLUDE (dimension_id, value, user_id, team_id), which
    // drizzle does not express).
    index('rollups_user_idx').on(table.userId, table.metric, table.dimension, table.bucket),
    index('rollups_team_level_idx')
      .on(table.teamId, table.metric, table.dimension, table.bucket)
      .where(
        sql`${table.userId} = '00000000-0000-0000-0000-000000000000'::uuid and ${table.teamId} <> '00000000-0000-0000-0000-000000000000'::uuid`,
      ),
    index('rollups_organization_level_idx')
      .on(table.metric, table.dimension, table.organizationId, table.bucket)
      .where(
        sql`${table.userId} = '00000000-0000-0000-0000-000000000000'::uuid and ${table.teamId} = '00000000-0000-0000-0000-000000000000'::uuid`,
      ),
    index('rollups_team_idx')
      .on(table.teamId, table.metric, table.bucket)
      .where(sql`${table.teamId} <> '00000000-0000-0000-0000-000000000000'::uuid`),
    index('rollups_bucket_idx').on(table.bucket),
  ],
);

// The metrics layer (drizzle/0004-0006): a team's data sources, versioned data schemas (cubes) and
// saved explorations. Row-level security in 0005; the built-in source's views in 0006.

/** A team's data source: Conduit's own analytics (`conduit`, one per team) or a PostgreSQL database. */
export const datasources = analytics.table(
  'datasources',
  {
    id: uuid('id').primaryKey(),
    teamId: uuid('team_id').notNull(),
    organizationId: uuid('organization_id'),
    userId: uuid('user_id').notNull(),
    name: text('name').notNull(),
    dbType: text('db_type').$type<'conduit' | 'postgres'>().notNull(),
    /** host, port, database, user, tlsMode; never the password. */
    dbParams: jsonb('db_params').$type<Record<string, unknown>>().notNull().default({}),
    /** AES-256-GCM (SecretBox) bound to the row id; never returned, logged, or put in jobs/events. */
    sealedPassword: text('sealed_password'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('datasources_team_idx').on(table.teamId, table.createdAt, table.id),
    uniqueIndex('datasources_one_conduit_per_team').on(table.teamId).where(sql`db_type = 'conduit'`),
  ],
);

/** Cubes over a source, in YAML or JSON; `version` is the latest of dataschema_versions. */
export const dataschemas = analytics.table(
  'dataschemas',
  {
    id: uuid('id').primaryKey(),
    teamId: uuid('team_id').notNull(),
    datasourceId: uuid('datasource_id')
      .notNull()
      .references(() => datasources.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    name: text('name').notNull(),
    version: integer('version').notNull().default(1),
    format: text('format').$type<'yaml' | 'json'>().notNull(),
    code: text('code').notNull(),
    /** The parsed, validated cubes of the latest version. */
    cubes: jsonb('cubes').$type<unknown>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('dataschemas_team_idx').on(table.teamId, table.createdAt, table.id),
    index('dataschemas_datasource_idx').on(table.datasourceId),
  ],
);

/** Every saved version of a data schema, kept. */
export const dataschemaVersions = analytics.table(
  'dataschema_versions',
  {
    dataschemaId: uuid('dataschema_id')
      .notNull()
      .references(() => dataschemas.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    teamId: uuid('team_id').notNull(),
    userId: uuid('user_id').notNull(),
    format: text('format').$type<'yaml' | 'json'>().notNull(),
    code: text('code').notNull(),
    cubes: jsonb('cubes').$type<unknown>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.dataschemaId, table.version] })],
);

/** A saved query of a data schema's members (seed: playground_state). */
export const explorations = analytics.table(
  'explorations',
  {
    id: uuid('id').primaryKey(),
    teamId: uuid('team_id').notNull(),
    datasourceId: uuid('datasource_id')
      .notNull()
      .references(() => datasources.id, { onDelete: 'cascade' }),
    dataschemaId: uuid('dataschema_id')
      .notNull()
      .references(() => dataschemas.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    name: text('name').notNull(),
    playgroundState: jsonb('playground_state').$type<unknown>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('explorations_team_idx').on(table.teamId, table.createdAt, table.id),
    index('explorations_dataschema_idx').on(table.dataschemaId),
  ],
);

export const outbox = outboxTable(analytics);
export const processedEvents = processedEventsTable(analytics);
export const failedJobs = failedJobsTable(analytics);

// Reports, alerts, their runs and SQL credentials (drizzle/0007-0008).
export * from './delivery-schema.js';

/**
 * The scope of a transaction that runs member SQL on the built-in source, keyed by its
 * transaction id (0010): written by the runtime role through analytics.open_metrics_scope, read by
 * row-level security through analytics.current_metrics_scope, never by the service's code.
 */
export const metricsScopes = analytics.table('metrics_scopes', {
  txid: bigint('txid', { mode: 'bigint' }).primaryKey(),
  teamId: uuid('team_id').notNull(),
  userId: uuid('user_id').notNull(),
  manages: boolean('manages').notNull(),
  organizationId: uuid('organization_id'),
  openedAt: timestamp('opened_at', { withTimezone: true }).notNull().defaultNow(),
});
