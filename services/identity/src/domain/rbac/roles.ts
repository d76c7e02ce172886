import { asActor } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { type Actor, identityEvents } from '@conduit/contracts';
import { isUniqueViolation, keysetPage, type PageRequest, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns, inArray, isNull, or, sql } from 'drizzle-orm';
import { organizations, outbox, permissionRole, roles, roleUser } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { recordActivity } from '../audit-trail/record-activity.js';
import { assertLiveSession, assertLiveSessionForRead } from '../sessions/live-session.js';
import { assertKnownPermissions, assertManage, authorityOver } from './rbac-authority.js';
import { loadRole, lockRoleToChange, permissionsOfRoles, type RoleDto, toRoleDto } from './role-access.js';
import { recordRoleRevoked } from './role-grants.js';

/**
 * The roles of the actor's current organization, then the platform's, by name, with their
 * permissions. Throws bad_request for a cursor this list did not give.
 */
export async function listRoles(
  deps: IdentityDeps,
  actor: Actor,
  query: PageRequest,
): Promise<{ items: RoleDto[]; nextCursor: string | null }> {
  const platformRole = { sql: sql`${roles.organizationId} is null`, type: 'boolean' } as const;
  const page = keysetPage({ by: [platformRole, roles.name, roles.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await assertLiveSessionForRead(deps.liveSessions, tx, actor.sessionId);
    const organizationId =
      actor.orgId && (await authorityOver(tx, actor, actor.orgId)) !== 'none' ? actor.orgId : null;
    const rows = await tx
      .select({ ...getTableColumns(roles), pageKey: page.key })
      .from(roles)
      .where(
        and(
          organizationId
            ? or(isNull(roles.organizationId), eq(roles.organizationId, organizationId))
            : isNull(roles.organizationId),
          page.after,
        ),
      )
      .orderBy(...page.orderBy)
      .limit(page.limit);
    const { items, nextCursor } = page.of(rows, (role) => role);
    const permissions = await permissionsOfRoles(
      tx,
      items.map((role) => role.id),
    );
    return { items: items.map((role) => toRoleDto(role, permissions.get(role.id) ?? [])), nextCursor };
  });
}

/** A role of one of the actor's organizations, or of the platform. Throws not_found otherwise. */
export async function getRole(deps: IdentityDeps, actor: Actor, roleId: string): Promise<RoleDto> {
  return asActor(deps.db, actor, async (tx) => {
    await assertLiveSessionForRead(deps.liveSessions, tx, actor.sessionId);
    const { role } = await loadRole(tx, actor, roleId);
    const permissions = await permissionsOfRoles(tx, [role.id]);
    return toRoleDto(role, permissions.get(role.id) ?? []);
  });
}

/**
 * Defines a role in the actor's current organization (or the one named), or a platform role for
 * `organizationId: null`. Owners of the organization and the platform admin may; platform roles
 * are the platform admin's alone. Throws not_found for an organization the actor is not in,
 * forbidden for a member who is not an owner, bad_request for an unknown permission, conflict
 * for a name the organization already uses.
 */
export async function createRole(
  deps: IdentityDeps,
  actor: Actor,
  input: {
    name: string;
    description?: string | null | undefined;
    permissions: string[];
    organizationId?: string | null | undefined;
  },
  client: ClientInfo,
): Promise<RoleDto> {
  // Only an explicit null asks for a platform role; a token without an organization is not one.
  if (input.organizationId === undefined && !actor.orgId)
    throw new DomainError('bad_request', 'Say in which organization to define the role.');
  const organizationId = input.organizationId === undefined ? actor.orgId : input.organizationId;
  const id = uuidv7();
  try {
    return await asActor(deps.db, actor, async (tx) => {
      await assertLiveSession(tx, actor.sessionId);
      assertManage(await authorityOver(tx, actor, organizationId), 'organization');
      if (organizationId !== null) {
        const [organization] = await tx
          .select({ id: organizations.id })
          .from(organizations)
          .where(eq(organizations.id, organizationId));
        if (!organization) throw new DomainError('not_found', 'No such organization.');
      }
      const permissions = await assertKnownPermissions(tx, input.permissions);
      const [role] = await tx
        .insert(roles)
        .values({
          id,
          organizationId,
          name: input.name,
          description: input.description ?? null,
          builtIn: false,
        })
        .returning();
      if (permissions.length > 0)
        await tx
          .insert(permissionRole)
          .values(permissions.map((permissionName) => ({ permissionName, roleId: id })));
      await appendEvent(
        tx,
        outbox,
        identityEvents.rolePermissionsChanged,
        { roleId: id, organizationId, permissions },
        actor,
      );
      await recordActivity(tx, {
        userId: actor.userId,
        organizationId,
        type: 'role_created',
        client,
        metadata: { roleId: id, name: input.name, permissions },
      });
      return toRoleDto(role!, permissions);
    });
  } catch (error) {
    if (isUniqueViolation(error, 'roles_organization_name_key'))
      throw new DomainError('conflict', 'A role of that name exists here already; choose another.');
    throw error;
  }
}

/**
 * Replaces the permissions of a role. Built-in roles are fixed (conflict). Takes effect in the
 * holders' access tokens at their next refresh, and in `GET /v1/me/permissions` at once. The
 * audit record is the acting user's: the change concerns every holder at once.
 */
export async function setRolePermissions(
  deps: IdentityDeps,
  actor: Actor,
  roleId: string,
  wanted: string[],
  client: ClientInfo,
): Promise<RoleDto> {
  return asActor(deps.db, actor, async (tx) => {
    const role = await lockRoleToChange(tx, actor, roleId);
    if (role.builtIn) throw new DomainError('conflict', 'Built-in roles cannot be changed.');
    const permissions = await assertKnownPermissions(tx, wanted);
    const current = (await permissionsOfRoles(tx, [roleId])).get(roleId) ?? [];
    const added = permissions.filter((permission) => !current.includes(permission));
    const removed = current.filter((permission) => !permissions.includes(permission));
    if (removed.length > 0) {
      await tx
        .delete(permissionRole)
        .where(and(eq(permissionRole.roleId, roleId), inArray(permissionRole.permissionName, removed)));
    }
    if (added.length > 0)
      await tx.insert(permissionRole).values(added.map((permissionName) => ({ permissionName, roleId })));
    if (added.length > 0 || removed.length > 0) {
      await appendEvent(
        tx,
        outbox,
        identityEvents.rolePermissionsChanged,
        { roleId, organizationId: role.organizationId, permissions },
        actor,
      );
      await recordActivity(tx, {
        userId: actor.userId,
        organizationId: role.organizationId,
        type: 'role_permissions_changed',
        client,
        metadata: { roleId, roleName: role.name, added, removed },
      });
    }
    return toRoleDto(role, permissions);
  });
}

/**
 * Deletes a role; its holders lose it (each gets a role_revoked event and audit record). Throws
 * conflict for a built-in role.
 */
export async function deleteRole(
  deps: IdentityDeps,
  actor: Actor,
  roleId: string,
  client: ClientInfo,
): Promise<void> {
  await asActor(deps.db, actor, async (tx) => {
    const role = await lockRoleToChange(tx, actor, roleId);
    if (role.builtIn) throw new DomainError('conflict', 'Built-in roles cannot be deleted.');
    const holders = await tx
      .select({ userId: roleUser.userId })
      .from(roleUser)
      .where(eq(roleUser.roleId, roleId));
    await tx.delete(roles).where(eq(roles.id, roleId));
    for (const { userId } of holders) {
      await recordRoleRevoked(tx, actor, role, userId, client, { reason: 'role_deleted' });
    }
    await recordActivity(tx, {
      userId: actor.userId,
      organizationId: role.organizationId,
      type: 'role_deleted',
      client,
      metadata: { roleId, name: role.name, holders: holders.length },
    });
  });
}
