import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { datasources } from '../../../db/schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { findDatasource } from './find-datasource.js';

/**
 * Deletes an external source with its schemas and explorations (by cascade) and closes its
 * connections. Throws not_found / forbidden as findDatasource does, conflict for the built-in one.
 */
export async function deleteDatasource(deps: AnalyticsDeps, actor: Actor, id: string) {
  await asViewer(deps.db, actor, async (tx) => {
    const row = await findDatasource(tx, actor, id, 'manage');
    if (row.dbType === 'conduit') throw new DomainError('conflict', 'The built-in source cannot be deleted.');
    await tx.delete(datasources).where(eq(datasources.id, id));
  });
  await deps.metrics.pools.close(id);
}
