import { asActor } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { type Actor, identityEvents, type TeamRole } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, sql } from 'drizzle-orm';
import { organizationMembers, outbox, teamMembers, users } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { recordActivity } from '../audit-trail/record-activity.js';
import { createInvite, inviteMadeWithKey } from '../invites/invites.js';
import { assertCanManage, countOwners, lastOwner, loadTeam } from './team-access.js';

async function memberRole(tx: Transaction, teamId: string, userId: string): Promise<TeamRole | undefined> {
  const [row] = await tx
    .select({ role: teamMembers.role })
    .from(teamMembers)
    .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId)));
  return row?.role as TeamRole | undefined;
}

/** A member of a team the actor sees, with their role, the team locked for the change. Throws not_found. */
async function lockMember(tx: Transaction, actor: Actor, teamId: string, userId: string) {
  const context = await loadTeam(tx, actor, teamId, { lock: true });
  const current = await memberRole(tx, teamId, userId);
  if (!current) throw new DomainError('not_found', 'No such member of this team.');
  return { context, current };
}

/**
 * Adds a member of the team's organization to the team, found by email. Throws not_found when no
 * member of the organization has that email (invite them instead), conflict when already in.
 */
export async function addTeamMember(
  deps: IdentityDeps,
  actor: Actor,
  teamId: string,
  input: { email: string; role: TeamRole },
  client: ClientInfo,
) {
  return asActor(deps.db, actor, async (tx) => {
    const context = await loadTeam(tx, actor, teamId, { lock: true });
    assertCanManage(context, input.role === 'owner');
    const [user] = await tx
      .select({ id: users.id })
      .from(users)
      .innerJoin(
        organizationMembers,
        and(
          eq(organizationMembers.userId, users.id),
          eq(organizationMembers.organizationId, context.team.organizationId),
        ),
      )
      .where(sql`lower(${users.email}) = lower(${input.email})`);
    if (!user)
      throw new DomainError(
        'not_found',
        'No member of this organization has that email; invite them instead.',
      );
    const added = await tx
      .insert(teamMembers)
      .values({ teamId, userId: user.id, role: input.role })
      .onConflictDoNothing()
      .returning();
    if (added.length === 0) throw new DomainError('conflict', 'That person is already in the team.');
    await appendEvent(
      tx,
      outbox,
      identityEvents.teamMemberAdded,
      { teamId, organizationId: context.team.organizationId, userId: user.id, role: input.role },
      actor,
    );
    await recordActivity(tx, {
      userId: user.id,
      organizationId: context.team.organizationId,
      type: 'member_added',
      client,
      metadata: { teamId, role: input.role, by: actor.userId },
    });
    return { userId: user.id, teamId, role: input.role, joinedAt: added[0]!.joinedAt.toISOString() };
  });
}

/** Invites someone by email into the team (and its organization). */
export async function inviteToTeam(
  deps: IdentityDeps,
  actor: Actor,
  teamId: string,
  input: { email: string; role: TeamRole; idempotencyKey?: string },
  client: ClientInfo,
) {
  return asActor(deps.db, actor, async (tx) => {
    const context = await loadTeam(tx, actor, teamId);
    assertCanManage(context, input.role === 'owner');
    // A retried caller (a bot automation's run) gets the invite its first attempt made, unmailed.
    const earlier = input.idempotencyKey
      ? await inviteMadeWithKey(tx, actor.userId, input.idempotencyKey)
      : undefined;
    if (earlier) return earlier;
    return createInvite(
      tx,
      deps,
      actor,
      {
        organizationId: context.team.organizationId,
        teamId,
        email: input.email,
        role: input.role,
        idempotencyKey: input.idempotencyKey ?? null,
      },
      client,
    );
  });
}

/**
 * Changes a member's role. Only owners make or unmake owners; the last owner cannot be demoted.
 * Takes effect in the member's access token at their next refresh.
 */
export async function changeTeamMemberRole(
  deps: IdentityDeps,
  actor: Actor,
  teamId: string,
  userId: string,
  role: TeamRole,
  client: ClientInfo,
) {
  return asActor(deps.db, actor, async (tx) => {
    const { context, current } = await lockMember(tx, actor, teamId, userId);
    assertCanManage(context, current === 'owner' || role === 'owner');
    if (current === role) return { userId, teamId, role };
    if (current === 'owner' && (await countOwners(tx, teamId)) <= 1) throw lastOwner();
    await tx
      .update(teamMembers)
      .set({ role })
      .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId)));
    await appendEvent(
      tx,
      outbox,
      identityEvents.teamMemberRoleChanged,
      { teamId, organizationId: context.team.organizationId, userId, from: current, to: role },
      actor,
    );
    await recordActivity(tx, {
      userId,
      organizationId: context.team.organizationId,
      type: 'member_role_changed',
      client,
      metadata: { teamId, from: current, to: role, by: actor.userId },
    });
    return { userId, teamId, role };
  });
}

/**
 * Removes a member (not the last owner). Their sessions end, so no refresh can carry the team
 * any longer; their current access token lapses within its lifetime.
 */
export async function removeTeamMember(
  deps: IdentityDeps,
  actor: Actor,
  teamId: string,
  userId: string,
  client: ClientInfo,
) {
  await asActor(deps.db, actor, async (tx) => {
    const { context, current } = await lockMember(tx, actor, teamId, userId);
    if (userId !== actor.userId) assertCanManage(context, current === 'owner');
    if (current === 'owner' && (await countOwners(tx, teamId)) <= 1) throw lastOwner();
    await tx.delete(teamMembers).where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId)));
    const leaving = userId === actor.userId;
    await appendEvent(
      tx,
      outbox,
      identityEvents.teamMemberRemoved,
      { teamId, organizationId: context.team.organizationId, userId, reason: leaving ? 'left' : 'removed' },
      actor,
    );
    await recordActivity(tx, {
      userId,
      organizationId: context.team.organizationId,
      type: leaving ? 'left_team' : 'member_removed',
      client,
      metadata: { teamId, role: current, by: actor.userId },
    });
    if (leaving) return;
    const ended = await tx.execute<{ id: string }>(
      sql`select id from identity.revoke_all_sessions(${userId}, 'membership_changed') as id`,
    );
    deps.liveSessions.forget(ended.map((row) => row.id));
    for (const { id } of ended) {
      await appendEvent(
        tx,
        outbox,
        identityEvents.sessionRevoked,
        { userId, sessionId: id, reason: 'membership_changed' },
        actor,
      );
      await recordActivity(tx, {
        userId,
        organizationId: context.team.organizationId,
        type: 'session_revoked',
        client,
        metadata: { sessionId: id, reason: 'membership_changed', by: actor.userId },
      });
    }
  });
}

/** The actor leaves a team (not as its last owner). */
export const leaveTeam = (deps: IdentityDeps, actor: Actor, teamId: string, client: ClientInfo) =>
  removeTeamMember(deps, actor, teamId, actor.userId, client);
