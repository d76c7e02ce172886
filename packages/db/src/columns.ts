import { timestamp } from 'drizzle-orm/pg-core';

/** When a row was made and last changed (timestamptz, now by default): spread into a table's columns. */
export const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};
