import { randomBytes } from 'node:crypto';
import type { Actor } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { sqlCredentials } from '../../../db/delivery-schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { checkTeamAccess } from '../team-access.js';
import { loginRoles } from './login-roles.js';
import { scramVerifier } from './scram-verifier.js';
import { toSqlCredentialDto } from './sql-credential-dto.js';

export interface CreateSqlCredentialInput {
  teamId: string;
  name: string;
  connectionLimit?: number | undefined;
}

/** Where a BI tool connects: the configured public address, else the service's own database. */
export function connectionInfo(deps: AnalyticsDeps) {
  const url = new URL(deps.env.SERVICE_DATABASE_URL);
  return {
    host: deps.env.METRICS_SQL_HOST ?? url.hostname,
    port: deps.env.METRICS_SQL_PORT ?? Number(url.port || 5432),
    database: decodeURIComponent(url.pathname.slice(1)),
  };
}

/**
 * Creates a Postgres LOGIN role for a team's BI tool and answers its password, this once: only the
 * role's SCRAM verifier is kept, by Postgres. Throws not_found outside the team, forbidden for a
 * member who does not manage it.
 */
export async function createSqlCredential(
  deps: AnalyticsDeps,
  actor: Actor,
  input: CreateSqlCredentialInput,
) {
  checkTeamAccess(actor, input.teamId, 'manage');
  const id = uuidv7();
  const username = `bi_${randomBytes(10).toString('hex')}`;
  const password = randomBytes(24).toString('base64url');
  const connectionLimit = input.connectionLimit ?? deps.env.METRICS_SQL_CONNECTION_LIMIT;
  const roles = loginRoles(deps.env.SERVICE_DATABASE_URL);
  await roles.create({ username, verifier: scramVerifier(password), connectionLimit });
  try {
    const row = await asViewer(deps.db, actor, async (tx) => {
      const [created] = await tx
        .insert(sqlCredentials)
        .values({
          id,
          teamId: input.teamId,
          organizationId: actor.orgId,
          userId: actor.userId,
          name: input.name,
          username,
          connectionLimit,
        })
        .returning();
      return created!;
    });
    return { ...toSqlCredentialDto(row), password, ...connectionInfo(deps) };
  } catch (error) {
    // A role without its row would see nothing (its team is the row), but it is not left behind.
    await roles.drop(username).catch(() => {});
    throw error;
  }
}
