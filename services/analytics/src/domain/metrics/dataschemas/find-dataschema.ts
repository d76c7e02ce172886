import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { dataschemas } from '../../../db/schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { type MetricsAction, mayTeam } from '../team-access.js';
import { type DataschemaRow, toDataschemaDto } from './dataschema-dto.js';

/**
 * A data schema the actor may see, else not_found (as for an unknown id); forbidden when they see
 * it but may not `action` it. `forUpdate` then locks the row (a new version is numbered under the
 * lock); the lock is taken after the check, since FOR UPDATE shows only rows the caller may change
 * and a team member who may not would otherwise be told not_found instead of forbidden.
 */
export async function findDataschema(
  tx: Transaction,
  actor: Actor,
  id: string,
  action: MetricsAction = 'read',
  forUpdate = false,
): Promise<DataschemaRow> {
  const [row] = await tx.select().from(dataschemas).where(eq(dataschemas.id, id));
  if (!row || !mayTeam(actor, row.teamId, 'read')) throw new DomainError('not_found', 'No such data schema.');
  if (!mayTeam(actor, row.teamId, action))
    throw new DomainError('forbidden', "Only the team's owners and admins change its data schemas.");
  if (!forUpdate) return row;
  const [locked] = await tx.select().from(dataschemas).where(eq(dataschemas.id, id)).for('update');
  if (!locked) throw new DomainError('not_found', 'No such data schema.');
  return locked;
}

/** A data schema's latest version with its members. */
export function getDataschema(deps: AnalyticsDeps, actor: Actor, id: string) {
  return asViewer(deps.db, actor, async (tx) => toDataschemaDto(await findDataschema(tx, actor, id)));
}
