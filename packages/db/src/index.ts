export type { PgTransactionConfig } from 'drizzle-orm/pg-core';
export { uuidv7 } from 'uuidv7';
export { type ActorRead, readWithActor } from './actor-read.js';
export { type ActorContext, withActor, withoutActor } from './actor-transaction.js';
export {
  createDatabase,
  type Database,
  type DatabaseClient,
  type Transaction,
  UNPREPARED,
} from './client.js';
export { timestamps } from './columns.js';
export {
  type KeysetPage,
  type KeyType,
  keysetPage,
  type PageRequest,
  type SortKey,
  type SortPart,
} from './keyset-page.js';
export { appRoleName, type MigrateOptions, migrate, runtimeUrl } from './migrate.js';
export {
  type OutboxRelay,
  type OutboxRow,
  outboxChannel,
  outboxWakePayload,
  startOutboxRelay,
} from './outbox-relay.js';
export { isDeadlock, isUniqueViolation, type PostgresError, postgresError } from './pg-errors.js';
export { inRuns } from './statement-runs.js';
export { failedJobsTable, outboxTable, processedEventsTable } from './system-tables.js';
