import { asActor } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { type Actor, identityEvents } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq } from 'drizzle-orm';
import { outbox, roleUser, users } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { recordActivity } from '../audit-trail/record-activity.js';
import { isMember } from './rbac-authority.js';
import { lockRoleToChange } from './role-access.js';

/**
 * Gives a role to a user: a role of an organization only to its members (by its owners or the
 * platform admin), a platform role to anyone (by the platform admin only). Takes effect in
 * `GET /v1/me/permissions` at once and in the holder's access token at their next refresh.
 * Throws not_found for a role the actor cannot see or a user who may not hold it, forbidden for
 * one they may see but not manage, conflict when the user holds it already.
 */
export async function grantRole(
  deps: IdentityDeps,
  actor: Actor,
  roleId: string,
  userId: string,
  client: ClientInfo,
) {
  return asActor(deps.db, actor, async (tx) => {
    const role = await lockRoleToChange(tx, actor, roleId);
    if (
      role.organizationId
        ? !(await isMember(tx, role.organizationId, userId))
        : !(await userExists(tx, userId))
    ) {
      throw new DomainError(
        'not_found',
        role.organizationId ? 'No such member of the organization of this role.' : 'No such user.',
      );
    }
    const [granted] = await tx
      .insert(roleUser)
      .values({ roleId, userId, grantedBy: actor.userId })
      .onConflictDoNothing()
      .returning();
    if (!granted) throw new DomainError('conflict', 'That user holds this role already.');
    await appendEvent(
      tx,
      outbox,
      identityEvents.roleGranted,
      { roleId, roleName: role.name, userId, organizationId: role.organizationId },
      actor,
    );
    await recordActivity(tx, {
      userId,
      organizationId: role.organizationId,
      type: 'role_granted',
      client,
      metadata: { roleId, roleName: role.name, by: actor.userId },
    });
    return {
      roleId,
      userId,
      organizationId: role.organizationId,
      grantedBy: actor.userId,
      grantedAt: granted.createdAt.toISOString(),
    };
  });
}

/** Takes a role from a user. Throws not_found (also when they do not hold it) and forbidden as `grantRole`. */
export async function revokeRole(
  deps: IdentityDeps,
  actor: Actor,
  roleId: string,
  userId: string,
  client: ClientInfo,
): Promise<void> {
  await asActor(deps.db, actor, async (tx) => {
    const role = await lockRoleToChange(tx, actor, roleId);
    const revoked = await tx
      .delete(roleUser)
      .where(and(eq(roleUser.roleId, roleId), eq(roleUser.userId, userId)))
      .returning();
    if (revoked.length === 0) throw new DomainError('not_found', 'That user does not hold this role.');
    await recordRoleRevoked(tx, actor, role, userId, client, {});
  });
}

/** Only the platform admin grants platform roles, and they see every account. */
async function userExists(tx: Transaction, userId: string): Promise<boolean> {
  const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, userId));
  return user !== undefined;
}

/** The event and the holder's audit record of a role taken away (revoked, or its role deleted). */
export async function recordRoleRevoked(
  tx: Transaction,
  actor: Actor,
  role: { id: string; name: string; organizationId: string | null },
  userId: string,
  client: ClientInfo,
  metadata: Record<string, unknown>,
): Promise<void> {
  await appendEvent(
    tx,
    outbox,
    identityEvents.roleRevoked,
    { roleId: role.id, roleName: role.name, userId, organizationId: role.organizationId },
    actor,
  );
  await recordActivity(tx, {
    userId,
    organizationId: role.organizationId,
    type: 'role_revoked',
    client,
    metadata: { roleId: role.id, roleName: role.name, by: actor.userId, ...metadata },
  });
}
