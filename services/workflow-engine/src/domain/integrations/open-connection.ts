import { type ActorContext, type Database, withActor } from '@conduit/db';
import type { SecretBox } from '@conduit/secrets';
import { eq } from 'drizzle-orm';
import { integrations, userIntegrations } from '../../db/schema.js';
import { openSecrets } from './connection-secrets.js';
import type { ConnectionRow } from './integration-dto.js';

/** Who a workflow (or automation) runs as: its owner and, for a team's, the team. */
export interface ConnectionUser {
  userId: string;
  teamId: string | null;
}

/**
 * May a workflow of this owner use the connection? A personal workflow uses its owner's own
 * connections; a team workflow the team's, and those shared with the team. (A team workflow never
 * uses a member's private connection: every editor of the workflow could send its secret away.)
 */
export function usableBy(
  row: Pick<ConnectionRow, 'userId' | 'teamId' | 'sharedTeamIds'>,
  owner: ConnectionUser,
) {
  if (owner.teamId) return row.teamId === owner.teamId || row.sharedTeamIds.includes(owner.teamId);
  return row.userId === owner.userId && row.teamId === null;
}

/** An opened connection: its kind and its whole config, secrets included. Never logged, stored or sent on. */
export interface OpenedConnection {
  id: string;
  kind: string;
  config: Record<string, unknown>;
}

/**
 * Opens a connection for its use, in the worker, at the moment of use: read as the owner (row-level
 * security), checked with usableBy, unsealed. Undefined when it is gone, inactive or not the
 * owner's to use; throws ConnectionUnsealError when its secrets cannot be opened.
 */
export async function openConnection(
  deps: { db: Database; box: SecretBox },
  owner: ActorContext,
  connectionId: string,
): Promise<OpenedConnection | undefined> {
  const [found] = await withActor(deps.db, owner, (tx) =>
    tx
      .select({ connection: userIntegrations, kind: integrations.kind })
      .from(userIntegrations)
      .innerJoin(integrations, eq(integrations.id, userIntegrations.integrationId))
      .where(eq(userIntegrations.id, connectionId)),
  );
  const user = { userId: owner.userId, teamId: owner.teamIds?.[0] ?? null };
  if (!found?.connection.isActive || !usableBy(found.connection, user)) return undefined;
  const { connection } = found;
  return {
    id: connection.id,
    kind: found.kind,
    config: {
      ...(connection.config as Record<string, unknown>),
      ...openSecrets(deps.box, connection.id, connection.sealed),
    },
  };
}
