import { asActor } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { type Actor, identityEvents } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq } from 'drizzle-orm';
import { outbox, permissionUser } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { recordActivity } from '../audit-trail/record-activity.js';
import { assertLiveSession } from '../sessions/live-session.js';
import { assertKnownPermissions, assertManage, authorityOver, isMember } from './rbac-authority.js';

/**
 * The organization a direct grant belongs to: the one the actor acts in (the `org` claim), which
 * they must manage, from a live session, for a permission of the catalog.
 */
async function grantOrganization(tx: Transaction, actor: Actor, permission: string): Promise<string> {
  await assertLiveSession(tx, actor.sessionId);
  if (!actor.orgId) throw new DomainError('bad_request', 'This session acts in no organization.');
  assertManage(await authorityOver(tx, actor, actor.orgId), 'organization');
  await assertKnownPermissions(tx, [permission]);
  return actor.orgId;
}

const changes = {
  granted: { event: identityEvents.permissionGranted, activity: 'permission_granted' },
  revoked: { event: identityEvents.permissionRevoked, activity: 'permission_revoked' },
} as const;

/** The event and the member's audit record of a direct grant given or withdrawn. */
async function recordGrantChange(
  tx: Transaction,
  actor: Actor,
  client: ClientInfo,
  change: keyof typeof changes,
  grant: { userId: string; organizationId: string; permission: string },
) {
  await appendEvent(tx, outbox, changes[change].event, grant, actor);
  await recordActivity(tx, {
    userId: grant.userId,
    organizationId: grant.organizationId,
    type: changes[change].activity,
    client,
    metadata: { permission: grant.permission, by: actor.userId },
  });
}

/**
 * Grants one permission directly to a member of the actor's current organization (owners and
 * the platform admin). Throws forbidden for other members, bad_request for a name not in the
 * catalog, not_found for a user who is not a member, conflict when they have the grant already.
 */
export async function grantPermission(
  deps: IdentityDeps,
  actor: Actor,
  userId: string,
  permission: string,
  client: ClientInfo,
) {
  return asActor(deps.db, actor, async (tx) => {
    const organizationId = await grantOrganization(tx, actor, permission);
    if (!(await isMember(tx, organizationId, userId)))
      throw new DomainError('not_found', 'No such member of this organization.');
    const [granted] = await tx
      .insert(permissionUser)
      .values({ permissionName: permission, userId, organizationId, grantedBy: actor.userId })
      .onConflictDoNothing()
      .returning();
    if (!granted)
      throw new DomainError('conflict', 'That member has this permission granted directly already.');
    await recordGrantChange(tx, actor, client, 'granted', { userId, organizationId, permission });
    return {
      userId,
      organizationId,
      permission,
      grantedBy: actor.userId,
      grantedAt: granted.createdAt.toISOString(),
    };
  });
}

/** Withdraws a direct grant in the actor's current organization. Throws as `grantPermission`, not_found when there is none. */
export async function revokePermission(
  deps: IdentityDeps,
  actor: Actor,
  userId: string,
  permission: string,
  client: ClientInfo,
): Promise<void> {
  await asActor(deps.db, actor, async (tx) => {
    const organizationId = await grantOrganization(tx, actor, permission);
    const revoked = await tx
      .delete(permissionUser)
      .where(
        and(
          eq(permissionUser.userId, userId),
          eq(permissionUser.organizationId, organizationId),
          eq(permissionUser.permissionName, permission),
        ),
      )
      .returning();
    if (revoked.length === 0)
      throw new DomainError('not_found', 'That member has no such direct grant here.');
    await recordGrantChange(tx, actor, client, 'revoked', { userId, organizationId, permission });
  });
}
