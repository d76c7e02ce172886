import type { Actor } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { datasources } from '../../../db/schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { checkTeamAccess } from '../team-access.js';
import type { ConnectionSettings } from './connection-settings.js';
import { toDatasourceDto } from './datasource-dto.js';
import { sealSourcePassword } from './source-password.js';

export interface NewDatasource {
  teamId: string;
  name: string;
  connection: ConnectionSettings;
  password: string;
}

/**
 * Adds an external PostgreSQL source to a team after connecting to it once. Throws not_found for a
 * team the actor is not in, forbidden unless they own or administer it, unprocessable (422) saying
 * why connecting failed (a refused address, a login refused, no such database).
 */
export async function createDatasource(deps: AnalyticsDeps, actor: Actor, input: NewDatasource) {
  checkTeamAccess(actor, input.teamId, 'manage');
  await deps.metrics.pools.check({ ...input.connection, password: input.password });
  const id = uuidv7();
  return asViewer(deps.db, actor, async (tx) => {
    const [row] = await tx
      .insert(datasources)
      .values({
        id,
        teamId: input.teamId,
        organizationId: actor.orgId,
        userId: actor.userId,
        name: input.name,
        dbType: 'postgres',
        dbParams: { ...input.connection },
        sealedPassword: sealSourcePassword(deps.metrics.box, id, input.password),
      })
      .returning();
    return toDatasourceDto(row!);
  });
}
