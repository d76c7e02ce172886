import { z } from 'zod';
import type { datasources } from '../../../db/schema.js';
import { type ConnectionSettings, tlsModes } from './connection-settings.js';

/** A data source as answered: its connection without the password, which never comes out. */
export const datasourceDto = z.object({
  id: z.uuid(),
  teamId: z.uuid(),
  name: z.string(),
  kind: z.enum(['conduit', 'postgres']),
  /** The built-in source (Conduit's analytics): always there, never deleted. */
  builtIn: z.boolean(),
  connection: z
    .object({
      host: z.string(),
      port: z.number().int(),
      database: z.string(),
      user: z.string(),
      tlsMode: z.enum(tlsModes),
      /** The CA certificate trusted for verify-full, when one was given (public, PEM). */
      caCertificate: z.string().nullable(),
    })
    .nullable(),
  createdBy: z.uuid(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DatasourceDto = z.infer<typeof datasourceDto>;

export type DatasourceRow = typeof datasources.$inferSelect;

export const connectionOf = (row: DatasourceRow) =>
  row.dbType === 'postgres' ? (row.dbParams as unknown as ConnectionSettings) : null;

export function toDatasourceDto(row: DatasourceRow): DatasourceDto {
  const connection = connectionOf(row);
  return {
    id: row.id,
    teamId: row.teamId,
    name: row.name,
    kind: row.dbType,
    builtIn: row.dbType === 'conduit',
    connection: connection && {
      host: connection.host,
      port: connection.port,
      database: connection.database,
      user: connection.user,
      tlsMode: connection.tlsMode,
      caCertificate: connection.caCertificate ?? null,
    },
    createdBy: row.userId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
