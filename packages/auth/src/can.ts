import { type Actor, isReadPermission, type Permission, type TeamRole } from '@conduit/contracts';
import {
  type ActorContext,
  type ActorRead,
  type Database,
  type PgTransactionConfig,
  readWithActor,
  type Transaction,
  withActor,
} from '@conduit/db';

/** What a permission check needs to know of a resource: who owns it, its team and organization. */
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
 * the actor needs the permission (from their organization role, roles or grants), and the
 * resource must be theirs, or belong to a team in which their role allows it (viewers only read),
 * or, for a resource shared with a whole organization, be in their current organization.
 * Without a resource it answers whether the actor holds the permission at all (e.g. to create).
 */
export function can(actor: Actor, permission: Permission, resource?: ResourceRef): boolean {
  if (actor.platformAdmin) return true;
  if (!actor.permissions.includes(permission)) return false;
  if (!resource) return true;
  if (resource.ownerUserId && resource.ownerUserId === actor.userId) return true;
  if (resource.teamId) {
    const role = actor.teams[resource.teamId];
    return role !== undefined && teamRoleAllows[role](permission);
  }
  return !resource.ownerUserId && !!resource.orgId && resource.orgId === actor.orgId;
}

/** The row-level security context of an actor: user, organization, teams by role, permissions. */
export function rlsContext(actor: Actor): ActorContext {
  return {
    permissions: actor.permissions,
    userId: actor.userId,
    orgId: actor.orgId,
    teamIds: Object.keys(actor.teams),
    writableTeamIds: Object.entries(actor.teams)
      .filter(([, role]) => role !== 'viewer') // viewers only read (teamRoleAllows)
      .map(([teamId]) => teamId),
    platformAdmin: actor.platformAdmin,
  };
}

/**
 * The one way a request's verb reaches the database: a transaction whose row-level security
 * context is the whole actor of the access token (never a part of it, so no policy sees a user
 * without their teams). Work that acts for a user without a token (sign-in, jobs acting for an
 * owner) uses `withActor` with the context it has.
 */
export function asActor<T>(
  db: Database,
  actor: Actor,
  fn: (tx: Transaction) => Promise<T>,
  config?: PgTransactionConfig,
): Promise<T> {
  return withActor(db, rlsContext(actor), fn, config);
}

/**
 * asActor for a read that sends all its statements at once: one round trip to Postgres instead of
 * three (`readWithActor`, whose contract `read` must keep), with the same row-level security.
 */
export function readAsActor<T>(db: Database, actor: Actor, read: ActorRead<T>): Promise<T> {
  return readWithActor(db, rlsContext(actor), read);
}
