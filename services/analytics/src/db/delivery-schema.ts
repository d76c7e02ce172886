import { boolean, index, integer, jsonb, pgSchema, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

// The metrics layer's outputs (drizzle/0007, row-level security in 0008): reports, alerts, their
// runs, and SQL credentials. Kept apart from schema.ts so the two halves of the metrics layer are
// written side by side; schema.ts re-exports them. `explorations.chart` is added by 0007 too.
const analytics = pgSchema('analytics');

/** Where a report's or alert's deliveries go; the webhook's secret is sealed in its own column. */
export interface DeliveryTargets {
  webhookUrl?: string | undefined;
  emailTo?: string[] | undefined;
  workflow?: boolean | undefined;
}

/** What each target did with one delivery; kept on the run so a retry redoes only what failed. */
export type DeliveryOutcome = Record<
  string,
  { ok: boolean; status?: number | null; error?: string; at: string; attempts: number }
>;

/** A BI tool's Postgres login (the role is `username`); the password is never stored. */
export const sqlCredentials = analytics.table(
  'sql_credentials',
  {
    id: uuid('id').primaryKey(),
    teamId: uuid('team_id').notNull(),
    organizationId: uuid('organization_id'),
    userId: uuid('user_id').notNull(),
    name: text('name').notNull(),
    username: text('username').notNull().unique(),
    connectionLimit: integer('connection_limit').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('sql_credentials_team_idx').on(table.teamId, table.createdAt, table.id)],
);

export const reportFormats = ['csv', 'json', 'html', 'chart'] as const;
export type ReportFormat = (typeof reportFormats)[number];

export const reports = analytics.table(
  'reports',
  {
    id: uuid('id').primaryKey(),
    teamId: uuid('team_id').notNull(),
    organizationId: uuid('organization_id'),
    userId: uuid('user_id').notNull(),
    explorationId: uuid('exploration_id').notNull(),
    name: text('name').notNull(),
    schedule: text('schedule').notNull(),
    timeZone: text('time_zone').notNull(),
    format: text('format').$type<ReportFormat>().notNull(),
    delivery: jsonb('delivery').$type<DeliveryTargets>().notNull(),
    sealedWebhookSecret: text('sealed_webhook_secret'),
    enabled: boolean('enabled').notNull().default(true),
    /** Why the worker paused it (its creator no longer manages the team); null when not paused so. */
    pausedReason: text('paused_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('reports_team_idx').on(table.teamId, table.createdAt, table.id),
    index('reports_exploration_idx').on(table.explorationId),
  ],
);

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'skipped';

export const reportRuns = analytics.table(
  'report_runs',
  {
    id: uuid('id').primaryKey(),
    reportId: uuid('report_id').notNull(),
    teamId: uuid('team_id').notNull(),
    tickAt: timestamp('tick_at', { withTimezone: true }).notNull(),
    trigger: text('trigger').$type<'schedule' | 'manual'>().notNull(),
    status: text('status').$type<RunStatus>().notNull(),
    attempts: integer('attempts').notNull().default(1),
    rowCount: integer('row_count'),
    delivery: jsonb('delivery').$type<DeliveryOutcome>().notNull().default({}),
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (table) => [
    unique('report_runs_report_id_tick_at_key').on(table.reportId, table.tickAt),
    index('report_runs_report_idx').on(table.reportId, table.startedAt, table.id),
  ],
);

/** One bound on a measure column, or a change against the previous row (window) in percent. */
export interface AlertCondition {
  column: string;
  lower?: number | undefined;
  upper?: number | undefined;
  changePercent?: number | undefined;
}

export const alerts = analytics.table(
  'alerts',
  {
    id: uuid('id').primaryKey(),
    teamId: uuid('team_id').notNull(),
    organizationId: uuid('organization_id'),
    userId: uuid('user_id').notNull(),
    explorationId: uuid('exploration_id').notNull(),
    name: text('name').notNull(),
    schedule: text('schedule').notNull(),
    timeZone: text('time_zone').notNull(),
    conditions: jsonb('conditions').$type<AlertCondition[]>().notNull(),
    delivery: jsonb('delivery').$type<DeliveryTargets>().notNull(),
    sealedWebhookSecret: text('sealed_webhook_secret'),
    reminderIntervalSeconds: integer('reminder_interval_seconds'),
    state: text('state').$type<'ok' | 'firing'>().notNull().default('ok'),
    stateChangedAt: timestamp('state_changed_at', { withTimezone: true }),
    lastNotifiedAt: timestamp('last_notified_at', { withTimezone: true }),
    enabled: boolean('enabled').notNull().default(true),
    /** Why the worker paused it (its creator no longer manages the team); null when not paused so. */
    pausedReason: text('paused_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('alerts_team_idx').on(table.teamId, table.createdAt, table.id),
    index('alerts_exploration_idx').on(table.explorationId),
  ],
);

export type AlertNotice = 'fired' | 'reminder' | 'resolved' | 'test';

export const alertEvaluations = analytics.table(
  'alert_evaluations',
  {
    id: uuid('id').primaryKey(),
    alertId: uuid('alert_id').notNull(),
    teamId: uuid('team_id').notNull(),
    tickAt: timestamp('tick_at', { withTimezone: true }).notNull(),
    trigger: text('trigger').$type<'schedule' | 'manual' | 'test'>().notNull(),
    status: text('status').$type<RunStatus>().notNull(),
    attempts: integer('attempts').notNull().default(1),
    outcome: text('outcome').$type<'ok' | 'firing'>(),
    notified: text('notified').$type<AlertNotice>(),
    breaches: jsonb('breaches').$type<unknown[]>().notNull().default([]),
    delivery: jsonb('delivery').$type<DeliveryOutcome>().notNull().default({}),
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (table) => [
    unique('alert_evaluations_alert_id_tick_at_key').on(table.alertId, table.tickAt),
    index('alert_evaluations_alert_idx').on(table.alertId, table.startedAt, table.id),
  ],
);
