import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import { permissionRole, roles } from '../../db/schema.js';
import { assertLiveSession } from '../sessions/live-session.js';
import { type Authority, assertManage, authorityOver } from './rbac-authority.js';

export type RoleRow = typeof roles.$inferSelect;

export interface RoleContext {
  role: RoleRow;
  authority: Authority;
}

/**
 * Loads a role the actor may see, with what they may do with it. With `lock`, changes to the
 * role (its permissions, holders, deletion) are decided one at a time. Throws not_found for a
 * role of an organization the actor is not in: it may as well not exist.
 */
export async function loadRole(
  tx: Transaction,
  actor: Actor,
  roleId: string,
  options: { lock?: boolean } = {},
): Promise<RoleContext> {
  if (options.lock)
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`identity.role.${roleId}`}))`);
  const [role] = await tx.select().from(roles).where(eq(roles.id, roleId));
  const authority = role ? await authorityOver(tx, actor, role.organizationId) : 'none';
  if (!role || authority === 'none') throw new DomainError('not_found', 'No such role.');
  return { role, authority };
}

/**
 * The role a change is about, locked until the change commits, once the actor's session is known
 * to be live and the actor may manage the role. Throws unauthorized, not_found, forbidden.
 */
export async function lockRoleToChange(tx: Transaction, actor: Actor, roleId: string): Promise<RoleRow> {
  await assertLiveSession(tx, actor.sessionId);
  const { role, authority } = await loadRole(tx, actor, roleId, { lock: true });
  assertManage(authority, 'role');
  return role;
}

/** The permissions of each role, by role id (sorted). */
export async function permissionsOfRoles(
  tx: Transaction,
  roleIds: readonly string[],
): Promise<Map<string, string[]>> {
  const byRole = new Map<string, string[]>(roleIds.map((id) => [id, []]));
  if (roleIds.length === 0) return byRole;
  const rows = await tx
    .select({ roleId: permissionRole.roleId, permission: permissionRole.permissionName })
    .from(permissionRole)
    .where(inArray(permissionRole.roleId, [...roleIds]))
    .orderBy(asc(permissionRole.permissionName));
  for (const row of rows) byRole.get(row.roleId)?.push(row.permission);
  return byRole;
}

export const toRoleDto = (role: RoleRow, permissions: string[]) => ({
  id: role.id,
  organizationId: role.organizationId,
  name: role.name,
  description: role.description,
  builtIn: role.builtIn,
  permissions,
  createdAt: role.createdAt.toISOString(),
});
export type RoleDto = ReturnType<typeof toRoleDto>;
