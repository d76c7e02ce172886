import { randomBytes } from 'node:crypto';
import type { Actor } from '@conduit/contracts';
import { type Transaction, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { count, eq, sql } from 'drizzle-orm';
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
 * Throws conflict when the team holds its most SQL credentials. With `lock`, holds the team's
 * credential lock until the transaction ends, so two creates cannot both take the last place.
 */
async function checkRoomForCredential(deps: AnalyticsDeps, tx: Transaction, teamId: string, lock: boolean) {
  if (lock)
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`sql-credentials:${teamId}`}, 0))`);
  const [held] = await tx
    .select({ n: count() })
    .from(sqlCredentials)
    .where(eq(sqlCredentials.teamId, teamId));
  const most = deps.env.METRICS_SQL_CREDENTIALS_PER_TEAM;
  if ((held?.n ?? 0) >= most)
    throw new DomainError('conflict', `A team holds at most ${most} SQL credentials; revoke one first.`);
}

/**
 * Creates a Postgres LOGIN role for a team's BI tool and answers its password, this once: only the
 * role's SCRAM verifier is kept, by Postgres. Throws not_found outside the team, forbidden for a
 * member who does not manage it, conflict when the team holds its most credentials.
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
  // Asked before the role is made (a refusal makes nothing), and again under the lock with the row.
  await asViewer(deps.db, actor, (tx) => checkRoomForCredential(deps, tx, input.teamId, false));
  const roles = loginRoles(deps.env.SERVICE_DATABASE_URL);
  await roles.create({ username, verifier: scramVerifier(password), connectionLimit });
  try {
    const row = await asViewer(deps.db, actor, async (tx) => {
      await checkRoomForCredential(deps, tx, input.teamId, true);
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
