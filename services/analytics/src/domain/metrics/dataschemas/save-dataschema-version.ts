import type { Actor } from '@conduit/contracts';
import { eq, sql } from 'drizzle-orm';
import { dataschemas, dataschemaVersions } from '../../../db/schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { parseCubeFile, type SchemaFormat } from '../cubes/cube-schema.js';
import { toDataschemaDto } from './dataschema-dto.js';
import { findDataschema } from './find-dataschema.js';

export interface DataschemaChange {
  name?: string | undefined;
  format: SchemaFormat;
  code: string;
}

/**
 * Saves the next version of a data schema; earlier versions are kept. Throws not_found /
 * forbidden as findDataschema does, unprocessable (422) with the path of what is wrong.
 */
export async function saveDataschemaVersion(
  deps: AnalyticsDeps,
  actor: Actor,
  id: string,
  change: DataschemaChange,
) {
  const cubes = parseCubeFile(change.code, change.format);
  return asViewer(deps.db, actor, async (tx) => {
    const current = await findDataschema(tx, actor, id, 'manage', true);
    const version = current.version + 1;
    await tx.insert(dataschemaVersions).values({
      dataschemaId: id,
      version,
      teamId: current.teamId,
      userId: actor.userId,
      format: change.format,
      code: change.code,
      cubes,
    });
    const [row] = await tx
      .update(dataschemas)
      .set({
        version,
        format: change.format,
        code: change.code,
        cubes,
        ...(change.name !== undefined && { name: change.name }),
        updatedAt: sql`now()`,
      })
      .where(eq(dataschemas.id, id))
      .returning();
    return toDataschemaDto(row!);
  });
}
