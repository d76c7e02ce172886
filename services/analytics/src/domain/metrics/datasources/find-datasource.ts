import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { datasources } from '../../../db/schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { type MetricsAction, mayTeam } from '../team-access.js';
import { type DatasourceRow, toDatasourceDto } from './datasource-dto.js';

/**
 * A data source the actor may see (row-level security and their team role agree), else not_found,
 * exactly as for an id that does not exist; forbidden when they see it but may not `action` it.
 */
export async function findDatasource(
  tx: Transaction,
  actor: Actor,
  id: string,
  action: MetricsAction = 'read',
) {
  const [row] = await tx.select().from(datasources).where(eq(datasources.id, id));
  if (!row || !mayTeam(actor, row.teamId, 'read')) throw new DomainError('not_found', 'No such data source.');
  if (!mayTeam(actor, row.teamId, action))
    throw new DomainError('forbidden', "Only the team's owners and admins manage its data sources.");
  return row as DatasourceRow;
}

/** One data source, without its password. */
export function getDatasource(deps: AnalyticsDeps, actor: Actor, id: string) {
  return asViewer(deps.db, actor, async (tx) => toDatasourceDto(await findDatasource(tx, actor, id)));
}
