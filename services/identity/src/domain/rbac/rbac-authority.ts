import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, inArray } from 'drizzle-orm';
import { permissionsTable, roleUser } from '../../db/schema.js';
import { PLATFORM_ADMIN_ROLE_ID } from '../access/load-access.js';
import { organizationRoleOf } from '../organizations/organization-role.js';

/**
 * What the actor may do with the roles and grants of one organization (or of the platform, for
 * null): `manage` for its owners and the platform admin, `see` for its other members (and, for
 * platform roles, for everyone), `none` for strangers, who are answered as if nothing existed.
 */
export type Authority = 'manage' | 'see' | 'none';

/**
 * The token says admin for up to its lifetime; RBAC changes ask the database too, so a revoked
 * admin loses the power at once (and a fresh one gains it at their next refresh).
 */
export async function isPlatformAdminNow(tx: Transaction, actor: Actor): Promise<boolean> {
  if (!actor.platformAdmin) return false;
  const [held] = await tx
    .select({ roleId: roleUser.roleId })
    .from(roleUser)
    .where(and(eq(roleUser.userId, actor.userId), eq(roleUser.roleId, PLATFORM_ADMIN_ROLE_ID)));
  return held !== undefined;
}

export async function authorityOver(
  tx: Transaction,
  actor: Actor,
  organizationId: string | null,
): Promise<Authority> {
  if (await isPlatformAdminNow(tx, actor)) return 'manage';
  if (organizationId === null) return 'see';
  const role = await organizationRoleOf(tx, organizationId, actor.userId);
  if (!role) return 'none';
  return role === 'owner' ? 'manage' : 'see';
}

/** Throws not_found for `none` and forbidden for `see`. */
export function assertManage(authority: Authority, what: string): void {
  if (authority === 'none') throw new DomainError('not_found', `No such ${what}.`);
  if (authority === 'see') {
    throw new DomainError(
      'forbidden',
      'Only owners of the organization (and platform admins) manage its roles and grants.',
    );
  }
}

/** Whether a user belongs to an organization (read as the actor, whose authority was checked). */
export async function isMember(tx: Transaction, organizationId: string, userId: string): Promise<boolean> {
  return (await organizationRoleOf(tx, organizationId, userId)) !== undefined;
}

/**
 * Checks names against the permission catalog (the seeded table every grant references). Throws
 * bad_request naming the unknown ones. Returns the names without duplicates, sorted.
 */
export async function assertKnownPermissions(tx: Transaction, names: readonly string[]): Promise<string[]> {
  const wanted = [...new Set(names)];
  if (wanted.length === 0) return [];
  const known = await tx
    .select({ name: permissionsTable.name })
    .from(permissionsTable)
    .where(inArray(permissionsTable.name, wanted));
  const knownNames = new Set(known.map((row) => row.name));
  const unknown = wanted.filter((name) => !knownNames.has(name));
  if (unknown.length > 0) {
    throw new DomainError(
      'bad_request',
      `Unknown permission: ${unknown.join(', ')}. GET /v1/permissions lists them.`,
      {
        fields: { permissions: unknown },
      },
    );
  }
  return wanted.sort();
}
