import { type Actor, type Permission, type TeamRole, isReadPermission } from '@conduit/contracts';
import type { ActorContext } from '@conduit/db';

/** What a permission check needs to know of a resource: who owns it, and in which team and org. */
export interface ResourceRef {
  ownerUserId?: string | null;
  teamId?: string | null;
  orgId?: string | null;
}

const teamRoleAllows: Record<TeamRole, (permission: Permission) => boolean> = {
  owner: () => true,
  admin: () => true,
  member: (permission) => permission !== 'teams.manage',
  viewer: isReadPermission,
};

/**
 * May the actor use `permission` on the resource? The platform admin may do anything. Otherwise
 * the actor needs the permission in their organization, and the resource must be theirs, or
 * belong to a team in which their role allows it (viewers only read), inside their organization.
 * Without a resource it answers whether the actor holds the permission at all (e.g. to create).
 */
export function can(actor: Actor, permission: Permission, resource?: ResourceRef): boolean {
  if (actor.platformAdmin) return true;
  if (!actor.permissions.includes(permission)) return false;
  if (!resource) return true;
  if (resource.orgId && resource.orgId !== actor.orgId) return false;
  if (resource.ownerUserId && resource.ownerUserId === actor.userId) return true;
  const role = resource.teamId ? actor.teams[resource.teamId] : undefined;
  return role !== undefined && teamRoleAllows[role](permission);
}

/** The row-level security context of an actor, for `withActor`. */
export function rlsContext(actor: Actor): ActorContext {
  return { userId: actor.userId, orgId: actor.orgId, teamIds: Object.keys(actor.teams), platformAdmin: actor.platformAdmin };
}
