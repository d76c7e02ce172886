import type { Actor, TeamRole } from '@conduit/contracts';
import { type Database, withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, sql } from 'drizzle-orm';
import { teamMembers, teams } from '../../db/schema.js';
import type { IdentityDeps } from '../../deps.js';
import { loadAccess } from '../access/load-access.js';
import { inviteToTeam } from './team-membership.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The actor a user is now, in the organization of the team named (its id, or its name among the
 * teams they are in), read as that user: row-level security shows them only their own teams, so
 * a team they are not in is not_found whatever it is called.
 */
async function inviterIn(
  db: Database,
  userId: string,
  team: string,
): Promise<{ actor: Actor; teamId: string }> {
  return withActor(db, { userId }, async (tx) => {
    const found = await tx
      .select({ id: teams.id, organizationId: teams.organizationId })
      .from(teams)
      .innerJoin(teamMembers, and(eq(teamMembers.teamId, teams.id), eq(teamMembers.userId, userId)))
      .where(UUID.test(team) ? eq(teams.id, team) : sql`lower(${teams.name}) = lower(${team})`);
    if (found.length === 0)
      throw new DomainError('not_found', `No team "${team.slice(0, 100)}" of the bot's owner.`);
    if (found.length > 1)
      throw new DomainError(
        'conflict',
        `Several teams of the bot's owner are called "${team.slice(0, 100)}"; use its id.`,
      );
    const { id, organizationId } = found[0]!;
    const access = await loadAccess(tx, userId, organizationId);
    return { actor: { userId, sessionId: null, orgId: organizationId, ...access }, teamId: id };
  });
}

/**
 * ADD MEMBER of a bot's script: an invite into the team as the bot's owner, with the rights they
 * have now (owners and admins invite; RLS checks again). With an idempotency key already used by
 * that owner, answers the invite it made (no second invite, no second mail). Throws not_found,
 * forbidden, conflict.
 */
export async function inviteAsUser(
  deps: IdentityDeps,
  request: { inviterUserId: string; team: string; email: string; idempotencyKey?: string },
) {
  const { actor, teamId } = await inviterIn(deps.db, request.inviterUserId, request.team);
  const role: TeamRole = 'member';
  // No client address: the request comes from a bot's script through the bus (0.0.0.0, unspecified).
  const invite = await inviteToTeam(
    deps,
    actor,
    teamId,
    {
      email: request.email,
      role,
      ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
    },
    {
      ip: '0.0.0.0',
      userAgent: 'Conduit bot script (ADD MEMBER)',
    },
  );
  return { inviteId: invite.id, teamId, email: invite.email, expiresAt: invite.expiresAt };
}
