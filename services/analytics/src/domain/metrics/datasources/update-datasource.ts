import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { eq, sql } from 'drizzle-orm';
import { datasources } from '../../../db/schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import type { ConnectionSettings } from './connection-settings.js';
import { connectionOf, toDatasourceDto } from './datasource-dto.js';
import { findDatasource } from './find-datasource.js';
import { openSourcePassword, sealSourcePassword } from './source-password.js';

export interface DatasourceChange {
  name?: string | undefined;
  connection?: Partial<ConnectionSettings> | undefined;
  password?: string | undefined;
}

/**
 * Renames a source or changes how it is reached; a changed connection is tried first (outside any
 * transaction: connecting may take seconds), and the source's open connections are closed once it
 * is saved. Throws not_found / forbidden as findDatasource does, conflict for the connection of
 * the built-in source (it has none), unprocessable (422) when connecting with the new settings fails.
 */
export async function updateDatasource(
  deps: AnalyticsDeps,
  actor: Actor,
  id: string,
  change: DatasourceChange,
) {
  const touchesConnection = change.connection !== undefined || change.password !== undefined;
  const current = await asViewer(deps.db, actor, (tx) => findDatasource(tx, actor, id, 'manage'));
  const values: Partial<typeof datasources.$inferInsert> = {};
  if (change.name !== undefined) values.name = change.name;
  if (touchesConnection) {
    const settings = connectionOf(current);
    if (!settings) throw new DomainError('conflict', 'The built-in source has no connection to change.');
    const connection = { ...settings, ...change.connection };
    const password = change.password ?? openSourcePassword(deps.metrics.box, current);
    await deps.metrics.pools.check({ ...connection, password });
    values.dbParams = { ...connection };
    if (change.password !== undefined)
      values.sealedPassword = sealSourcePassword(deps.metrics.box, id, password);
  }
  const updated = await asViewer(deps.db, actor, async (tx) => {
    await findDatasource(tx, actor, id, 'manage');
    const [saved] = await tx
      .update(datasources)
      .set({ ...values, updatedAt: sql`now()` })
      .where(eq(datasources.id, id))
      .returning();
    return saved!;
  });
  if (touchesConnection) await deps.metrics.pools.close(id);
  return toDatasourceDto(updated);
}
