import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest } from '@conduit/db';
import { and, eq } from 'drizzle-orm';
import { datasources } from '../../../db/schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { checkTeamAccess } from '../team-access.js';
import { ensureConduitSource } from './conduit-source.js';
import { toDatasourceDto } from './datasource-dto.js';

/** A team's data sources, the built-in one first (oldest first). Throws not_found for a team the actor is not in. */
export async function listDatasources(
  deps: AnalyticsDeps,
  actor: Actor,
  input: PageRequest & { teamId: string },
) {
  checkTeamAccess(actor, input.teamId, 'read');
  const page = keysetPage({ by: [datasources.createdAt, datasources.id], order: 'asc' }, input);
  return asViewer(deps.db, actor, async (tx) => {
    await ensureConduitSource(tx, input.teamId);
    const rows = await tx
      .select({ row: datasources, pageKey: page.key })
      .from(datasources)
      .where(and(eq(datasources.teamId, input.teamId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, ({ row }) => toDatasourceDto(row));
  });
}
