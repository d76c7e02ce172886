// Bot tables and per-user bot memories (migrations 0008 / 0009), beside schema.ts so the drizzle
// config reads both.
import { timestamps } from '@conduit/db';
import { index, jsonb, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { basicTools, bots, conversation } from './schema.js';

/** A named table of JSON rows under a bot (General Bots' SAVE "table", ...). */
export const botTables = conversation.table(
  'bot_tables',
  {
    id: uuid('id').primaryKey(),
    botId: uuid('bot_id')
      .notNull()
      .references(() => bots.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex('bot_tables_bot_name').on(t.botId, t.name)],
);

export const botTableRows = conversation.table(
  'bot_table_rows',
  {
    id: uuid('id').primaryKey(),
    tableId: uuid('table_id')
      .notNull()
      .references(() => botTables.id, { onDelete: 'cascade' }),
    botId: uuid('bot_id')
      .notNull()
      .references(() => bots.id, { onDelete: 'cascade' }),
    /** What SAVE and MERGE upsert by; null for rows added by INSERT or the API without a key. */
    key: text('key'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('bot_table_rows_table_key').on(t.tableId, t.key),
    index('bot_table_rows_table_id').on(t.tableId, t.id),
    index('bot_table_rows_bot').on(t.botId),
  ],
);

export const botUserMemoryKinds = ['remember', 'fact'] as const;

/** REMEMBER (with an optional expiry) and SET USER FACT: what a bot keeps of one user. */
export const botUserMemories = conversation.table(
  'bot_user_memories',
  {
    id: uuid('id').primaryKey(),
    botId: uuid('bot_id')
      .notNull()
      .references(() => bots.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    kind: text('kind', { enum: botUserMemoryKinds }).notNull(),
    key: text('key').notNull(),
    value: jsonb('value').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('bot_user_memories_key').on(t.botId, t.userId, t.kind, t.key),
    index('bot_user_memories_user').on(t.userId),
  ],
);

/** A run is recorded `running` when it starts (migration 0012) and gets its end when it ends. */
export const handlerRunStatuses = ['running', 'succeeded', 'failed'] as const;

/** Each run of a bot's ON or WEBHOOK script (migrations 0011, 0012), for its managers to read. */
export const botHandlerRuns = conversation.table(
  'bot_handler_runs',
  {
    id: uuid('id').primaryKey(),
    botId: uuid('bot_id')
      .notNull()
      .references(() => bots.id, { onDelete: 'cascade' }),
    toolId: uuid('tool_id')
      .notNull()
      .references(() => basicTools.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['on', 'webhook'] }).notNull(),
    /** ON: the table change that ran it; WEBHOOK: null. */
    eventId: uuid('event_id'),
    status: text('status', { enum: handlerRunStatuses }).notNull(),
    error: text('error'),
    output: jsonb('output').$type<string[]>().notNull().default([]),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    /** Null while it runs. */
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** When a run still `running` can no longer be: past it, its process died (read as interrupted). */
    deadlineAt: timestamp('deadline_at', { withTimezone: true }),
  },
  (t) => [index('bot_handler_runs_tool').on(t.toolId, t.id), index('bot_handler_runs_bot').on(t.botId)],
);
