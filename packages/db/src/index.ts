export { createDatabase, type Database, type DatabaseClient, type Transaction } from './client.js';
export { withActor, withoutActor, type ActorContext } from './actor-transaction.js';
export { appRoleName, migrate, runtimeUrl, type MigrateOptions } from './migrate.js';
export { failedJobsTable, outboxTable, processedEventsTable } from './system-tables.js';
export { startOutboxRelay, type OutboxRelay, type OutboxRow } from './outbox-relay.js';
export { isUniqueViolation } from './pg-errors.js';
export { uuidv7 } from 'uuidv7';
