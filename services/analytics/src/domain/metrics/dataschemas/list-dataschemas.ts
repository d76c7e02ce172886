import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest } from '@conduit/db';
import { and, eq } from 'drizzle-orm';
import { dataschemas, dataschemaVersions } from '../../../db/schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { type CubeFile, membersOf } from '../cubes/cube-schema.js';
import { ensureConduitSource } from '../datasources/conduit-source.js';
import { checkTeamAccess } from '../team-access.js';
import { toDataschemaDto } from './dataschema-dto.js';
import { findDataschema } from './find-dataschema.js';

/** A team's data schemas (the built-in one first) with their members. Throws not_found for a team the actor is not in. */
export async function listDataschemas(
  deps: AnalyticsDeps,
  actor: Actor,
  input: PageRequest & { teamId: string; datasourceId?: string | undefined },
) {
  checkTeamAccess(actor, input.teamId, 'read');
  const page = keysetPage({ by: [dataschemas.createdAt, dataschemas.id], order: 'asc' }, input);
  return asViewer(deps.db, actor, async (tx) => {
    await ensureConduitSource(tx, input.teamId);
    const rows = await tx
      .select({ row: dataschemas, pageKey: page.key })
      .from(dataschemas)
      .where(
        and(
          eq(dataschemas.teamId, input.teamId),
          input.datasourceId ? eq(dataschemas.datasourceId, input.datasourceId) : undefined,
          page.after,
        ),
      )
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, ({ row }) => toDataschemaDto(row));
  });
}

/** Every saved version of a data schema, newest first. Throws not_found as findDataschema does. */
export async function listDataschemaVersions(
  deps: AnalyticsDeps,
  actor: Actor,
  id: string,
  input: PageRequest,
) {
  const page = keysetPage({ by: [dataschemaVersions.version], order: 'desc' }, input);
  return asViewer(deps.db, actor, async (tx) => {
    await findDataschema(tx, actor, id);
    const rows = await tx
      .select({ row: dataschemaVersions, pageKey: page.key })
      .from(dataschemaVersions)
      .where(and(eq(dataschemaVersions.dataschemaId, id), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, ({ row }) => ({
      version: row.version,
      format: row.format,
      code: row.code,
      members: membersOf(row.cubes as CubeFile),
      savedBy: row.userId,
      savedAt: row.createdAt.toISOString(),
    }));
  });
}
