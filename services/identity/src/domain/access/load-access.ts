import {
  permissions as allPermissions,
  type OrganizationRole,
  organizationRolePermissions,
  type Permission,
  permissionSchema,
  type TeamRole,
} from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { and, eq, isNull, or } from 'drizzle-orm';
import { permissionRole, permissionUser, roles, roleUser, teamMembers } from '../../db/schema.js';
import { organizationRoleOf } from '../organizations/organization-role.js';

export const PLATFORM_ADMIN_ROLE_ID = '01900000-0000-7000-8000-000000000001';

/** Teams beyond this many are left out of the token (it rides on every request); the API still knows them. */
const MAX_TEAMS_IN_TOKEN = 100;

export interface Access {
  teams: Record<string, TeamRole>;
  permissions: Permission[];
  platformAdmin: boolean;
}

/**
 * What a user may do in one organization, as the access token states it: their team roles,
 * the permissions of their organization role, of the roles they hold and of direct grants, and
 * whether they hold the platform admin role. Runs as the user (their rows are visible to them).
 */
export async function loadAccess(
  tx: Transaction,
  userId: string,
  organizationId: string | null,
): Promise<Access> {
  const heldRoles = await tx
    .select({
      roleId: roles.id,
      organizationId: roles.organizationId,
      permission: permissionRole.permissionName,
    })
    .from(roleUser)
    .innerJoin(roles, eq(roles.id, roleUser.roleId))
    .leftJoin(permissionRole, eq(permissionRole.roleId, roles.id))
    .where(
      and(
        eq(roleUser.userId, userId),
        organizationId
          ? or(isNull(roles.organizationId), eq(roles.organizationId, organizationId))
          : isNull(roles.organizationId),
      ),
    );
  const platformAdmin = heldRoles.some((row) => row.roleId === PLATFORM_ADMIN_ROLE_ID);
  if (!organizationId)
    return { teams: {}, permissions: platformAdmin ? [...allPermissions] : [], platformAdmin };

  const organizationRole = await organizationRoleOf(tx, organizationId, userId);
  const direct = await tx
    .select({ permission: permissionUser.permissionName })
    .from(permissionUser)
    .where(and(eq(permissionUser.userId, userId), eq(permissionUser.organizationId, organizationId)));
  // Every team of the user, in whichever organization: team membership grants access by itself.
  const teamRows = await tx
    .select({ teamId: teamMembers.teamId, role: teamMembers.role })
    .from(teamMembers)
    .where(eq(teamMembers.userId, userId))
    .orderBy(teamMembers.joinedAt)
    .limit(MAX_TEAMS_IN_TOKEN);

  const granted = new Set<Permission>(platformAdmin ? allPermissions : []);
  for (const permission of organizationRole
    ? organizationRolePermissions[organizationRole as OrganizationRole]
    : [])
    granted.add(permission);
  // Roles and grants of an organization count only while the user is a member of it.
  const stillApplies = (row: { organizationId?: string | null }) => !row.organizationId || !!organizationRole;
  for (const { permission } of [...heldRoles.filter(stillApplies), ...(organizationRole ? direct : [])]) {
    const parsed = permissionSchema.safeParse(permission);
    if (parsed.success) granted.add(parsed.data);
  }
  return {
    teams: Object.fromEntries(teamRows.map((row) => [row.teamId, row.role as TeamRole])),
    permissions: allPermissions.filter((permission) => granted.has(permission)),
    platformAdmin,
  };
}
