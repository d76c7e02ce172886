import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { explorations } from '../../../db/schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { type MetricsAction, mayTeam } from '../team-access.js';
import { type ExplorationRow, toExplorationDto } from './exploration-dto.js';

/** An exploration the actor may see, else not_found (as for an unknown id); forbidden when they may not `action` it. */
export async function findExploration(
  tx: Transaction,
  actor: Actor,
  id: string,
  action: MetricsAction = 'read',
): Promise<ExplorationRow> {
  const [row] = await tx.select().from(explorations).where(eq(explorations.id, id));
  if (!row || !mayTeam(actor, row.teamId, 'read')) throw new DomainError('not_found', 'No such exploration.');
  if (!mayTeam(actor, row.teamId, action))
    throw new DomainError('forbidden', "Viewers read a team's explorations but do not change them.");
  return row;
}

export function getExploration(deps: AnalyticsDeps, actor: Actor, id: string) {
  return asViewer(deps.db, actor, async (tx) => toExplorationDto(await findExploration(tx, actor, id)));
}
