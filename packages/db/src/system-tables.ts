import { sql } from 'drizzle-orm';
import { index, integer, jsonb, type PgSchema, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Events waiting to be published, written in the same transaction as the change they describe.
 * `traceparent` keeps the trace of the request that caused the event, so its publication (which
 * happens later, in the relay) joins the same trace.
 */
export const outboxTable = (schema: PgSchema) =>
  schema.table(
    'outbox',
    {
      id: uuid('id').primaryKey(),
      subject: text('subject').notNull(),
      payload: jsonb('payload').notNull(),
      traceparent: text('traceparent'),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      publishedAt: timestamp('published_at', { withTimezone: true }),
      attempts: integer('attempts').notNull().default(0),
      lastError: text('last_error'),
    },
    (table) => [index('outbox_unpublished_idx').on(table.createdAt).where(sql`${table.publishedAt} is null`)],
  );

/** Events a consumer has applied, written in the same transaction as the effect. */
export const processedEventsTable = (schema: PgSchema) =>
  schema.table(
    'processed_events',
    {
      consumer: text('consumer').notNull(),
      eventId: uuid('event_id').notNull(),
      processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
    },
    (table) => [primaryKey({ columns: [table.consumer, table.eventId] })],
  );

/** Background jobs that exhausted their attempts, kept for inspection and replay. */
export const failedJobsTable = (schema: PgSchema) =>
  schema.table('failed_jobs', {
    id: uuid('id').primaryKey(),
    queue: text('queue').notNull(),
    jobName: text('job_name').notNull(),
    jobId: text('job_id'),
    payload: jsonb('payload').notNull(),
    error: text('error').notNull(),
    attempts: integer('attempts').notNull(),
    failedAt: timestamp('failed_at', { withTimezone: true }).notNull().defaultNow(),
  });
