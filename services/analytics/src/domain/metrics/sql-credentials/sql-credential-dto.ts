import type { sqlCredentials } from '../../../db/delivery-schema.js';

export type SqlCredentialRow = typeof sqlCredentials.$inferSelect;

/** What every answer shows of a credential: never a password (only the create answer has one). */
export const toSqlCredentialDto = (row: SqlCredentialRow) => ({
  id: row.id,
  teamId: row.teamId,
  name: row.name,
  username: row.username,
  connectionLimit: row.connectionLimit,
  createdBy: row.userId,
  createdAt: row.createdAt.toISOString(),
});
