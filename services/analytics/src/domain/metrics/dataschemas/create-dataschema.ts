import type { Actor } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { dataschemas, dataschemaVersions } from '../../../db/schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { parseCubeFile, type SchemaFormat } from '../cubes/cube-schema.js';
import { findDatasource } from '../datasources/find-datasource.js';
import { toDataschemaDto } from './dataschema-dto.js';

export interface NewDataschema {
  datasourceId: string;
  name: string;
  format: SchemaFormat;
  code: string;
}

/**
 * Saves a new data schema (version 1) over one of the team's sources. Throws not_found for a
 * source the actor cannot see, forbidden unless they own or administer its team, unprocessable
 * (422) naming the path of what is wrong in the code (`cubes[0].measures.revenue.type`).
 */
export async function createDataschema(deps: AnalyticsDeps, actor: Actor, input: NewDataschema) {
  const cubes = parseCubeFile(input.code, input.format);
  return asViewer(deps.db, actor, async (tx) => {
    const source = await findDatasource(tx, actor, input.datasourceId, 'manage');
    const id = uuidv7();
    const [row] = await tx
      .insert(dataschemas)
      .values({
        id,
        teamId: source.teamId,
        datasourceId: source.id,
        userId: actor.userId,
        name: input.name,
        version: 1,
        format: input.format,
        code: input.code,
        cubes,
      })
      .returning();
    await tx.insert(dataschemaVersions).values({
      dataschemaId: id,
      version: 1,
      teamId: source.teamId,
      userId: actor.userId,
      format: input.format,
      code: input.code,
      cubes,
    });
    return toDataschemaDto(row!);
  });
}
