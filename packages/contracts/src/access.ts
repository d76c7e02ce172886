import { z } from 'zod';

/** Roles in a team, strongest first. */
export const teamRoles = ['owner', 'admin', 'member', 'viewer'] as const;
export const teamRoleSchema = z.enum(teamRoles);
export type TeamRole = z.infer<typeof teamRoleSchema>;

/** Roles in an organization, strongest first. */
export const organizationRoles = ['owner', 'admin', 'member'] as const;
export const organizationRoleSchema = z.enum(organizationRoles);
export type OrganizationRole = z.infer<typeof organizationRoleSchema>;

/**
 * Every permission a role or a direct grant can carry, scoped to an organization. `*.read` ones
 * are read-only; the rest change something.
 */
export const permissions = [
  'org.manage',
  'teams.manage',
  'roles.manage',
  'usage.manage',
  'bots.read',
  'bots.write',
  'kb.read',
  'kb.write',
  'workflows.read',
  'workflows.write',
  'workflows.execute',
  'email.read',
  'email.write',
  'email.send',
  'analytics.read',
] as const;
export const permissionSchema = z.enum(permissions);
export type Permission = z.infer<typeof permissionSchema>;

// Members work with bots, knowledge bases, workflows and mail; reading the organization's
// analytics (everyone's activity) is for owners, admins and whom they grant it.
const workPermissions: Permission[] = permissions.filter(
  (p) => !/^(org|teams|roles|usage|analytics)\./.test(p),
);

/** What each organization role grants by itself, before any role or direct grant is added. */
export const organizationRolePermissions: Record<OrganizationRole, Permission[]> = {
  owner: [...permissions],
  admin: permissions.filter((p) => p !== 'roles.manage' && p !== 'usage.manage'),
  member: workPermissions,
};

export const isReadPermission = (permission: Permission) => permission.endsWith('.read');
