import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest } from '@conduit/db';
import { and, eq } from 'drizzle-orm';
import { explorations } from '../../../db/schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { checkTeamAccess } from '../team-access.js';
import { toExplorationDto } from './exploration-dto.js';

/** A team's explorations, oldest first. Throws not_found for a team the actor is not in. */
export async function listExplorations(
  deps: AnalyticsDeps,
  actor: Actor,
  input: PageRequest & { teamId: string },
) {
  checkTeamAccess(actor, input.teamId, 'read');
  const page = keysetPage({ by: [explorations.createdAt, explorations.id], order: 'asc' }, input);
  return asViewer(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ row: explorations, pageKey: page.key })
      .from(explorations)
      .where(and(eq(explorations.teamId, input.teamId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, ({ row }) => toExplorationDto(row));
  });
}
