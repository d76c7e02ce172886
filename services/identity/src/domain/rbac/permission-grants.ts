import { asActor } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { type Actor, identityEvents } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq } from 'drizzle-orm';
import { outbox, permissionUser } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { recordActivity } from '../activity/record-activity.js';
import { assertLiveSession } from '../sessions/live-session.js';
import { assertKnownPermissions, assertManage, authorityOver, isMember } from './rbac-authority.js';

/** Direct grants belong to the organization the actor acts in (the `org` claim). */
async function currentOrganization(tx: Transaction, actor: Actor): Promise<string> {
  if (!actor.orgId) throw new DomainError('bad_request', 'This session acts in no organization.');
  assertManage(await authorityOver(tx, actor, actor.orgId), 'organization');
  return actor.orgId;
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
    await assertLiveSession(tx, actor.sessionId);
    const organizationId = await currentOrganization(tx, actor);
    await assertKnownPermissions(tx, [permission]);
    if (!(await isMember(tx, organizationId, userId)))
      throw new DomainError('not_found', 'No such member of this organization.');
    const [granted] = await tx
      .insert(permissionUser)
      .values({ permissionName: permission, userId, organizationId, grantedBy: actor.userId })
      .onConflictDoNothing()
      .returning();
    if (!granted)
      throw new DomainError('conflict', 'That member has this permission granted directly already.');
    await appendEvent(
      tx,
      outbox,
      identityEvents.permissionGranted,
      { userId, organizationId, permission },
      actor,
    );
    await recordActivity(tx, {
      userId,
      organizationId,
      type: 'permission_granted',
      client,
      metadata: { permission, by: actor.userId },
    });
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
    await assertLiveSession(tx, actor.sessionId);
    const organizationId = await currentOrganization(tx, actor);
    await assertKnownPermissions(tx, [permission]);
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
    await appendEvent(
      tx,
      outbox,
      identityEvents.permissionRevoked,
      { userId, organizationId, permission },
      actor,
    );
    await recordActivity(tx, {
      userId,
      organizationId,
      type: 'permission_revoked',
      client,
      metadata: { permission, by: actor.userId },
    });
  });
}
