import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, teamRoleSchema } from '@conduit/contracts';
import { clientInfo, routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { getMyPermissions } from '../domain/rbac/my-permissions.js';
import { listPermissions } from '../domain/rbac/permission-catalog.js';
import { grantPermission, revokePermission } from '../domain/rbac/permission-grants.js';
import { grantRole, revokeRole } from '../domain/rbac/role-grants.js';
import { createRole, deleteRole, getRole, listRoles, setRolePermissions } from '../domain/rbac/roles.js';

const tags = ['roles and permissions'];
/** Checked against the catalog by the verbs (400 naming the unknown ones); here only its shape. */
const permissionName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, 'a permission name such as bots.write')
  .max(100);
const permissionList = z.array(permissionName).max(100);
const roleDto = z.object({
  id: z.uuid(),
  organizationId: z.uuid().nullable(),
  name: z.string(),
  description: z.string().nullable(),
  builtIn: z.boolean(),
  permissions: z.array(z.string()),
  createdAt: z.string(),
});
const roleGrantDto = z.object({
  roleId: z.uuid(),
  userId: z.uuid(),
  organizationId: z.uuid().nullable(),
  grantedBy: z.uuid(),
  grantedAt: z.string(),
});
const permissionGrantDto = z.object({
  userId: z.uuid(),
  organizationId: z.uuid(),
  permission: z.string(),
  grantedBy: z.uuid(),
  grantedAt: z.string(),
});
const params = z.object({ id: z.uuid() });
const roleUserParams = z.object({ id: z.uuid(), userId: z.uuid() });

/**
 * Roles, their permissions and who holds them, direct grants, and my effective permissions;
 * registered behind `authenticate`. Managing is for owners of the organization and the platform
 * admin: a member answers 403, a stranger to the organization 404.
 */
export function rbacRoutes(app: ServiceApp, deps: IdentityDeps) {
  const route = routeGroup(app, { tags });
  route.get(
    '/v1/permissions',
    {
      summary: 'The catalog of permissions',
      response: z.object({ items: z.array(z.object({ name: z.string(), description: z.string() })) }),
      problems: [401],
    },
    (request) => listPermissions(deps, requireActor(request)),
  );

  route.get(
    '/v1/me/permissions',
    {
      summary: 'What I may do in my current organization, read now (the token may be older)',
      response: z.object({
        organizationId: z.uuid().nullable(),
        permissions: z.array(z.string()),
        teams: z.record(z.string(), teamRoleSchema),
        platformAdmin: z.boolean(),
      }),
      problems: [401],
    },
    (request) => getMyPermissions(deps, requireActor(request)),
  );

  route.get(
    '/v1/roles',
    {
      summary: "The roles of my current organization, then the platform's, with their permissions",
      querystring: pageQuery,
      response: pageOf(roleDto),
      problems: [400, 401],
    },
    (request) => listRoles(deps, requireActor(request), request.query),
  );

  route.post(
    '/v1/roles',
    {
      summary:
        'Define a role in my current organization (owners), or a platform role with organizationId null (platform admins)',
      body: z
        .object({
          name: readableText(100),
          description: readableText(500).nullable().optional(),
          permissions: permissionList,
          organizationId: z.uuid().nullable().optional(),
        })
        .strict(),
      status: 201,
      response: roleDto,
      problems: [400, 401, 403, 404, 409],
    },
    (request) => createRole(deps, requireActor(request), request.body, clientInfo(request)),
  );

  route.get(
    '/v1/roles/:id',
    {
      summary: 'A role of my organization or of the platform',
      params,
      response: roleDto,
      problems: [400, 401, 404],
    },
    (request) => getRole(deps, requireActor(request), request.params.id),
  );

  route.put(
    '/v1/roles/:id/permissions',
    {
      summary: 'Replace the permissions of a role (not of a built-in one)',
      params,
      body: z.object({ permissions: permissionList }).strict(),
      response: roleDto,
      problems: [400, 401, 403, 404, 409],
    },
    (request) =>
      setRolePermissions(
        deps,
        requireActor(request),
        request.params.id,
        request.body.permissions,
        clientInfo(request),
      ),
  );

  route.delete(
    '/v1/roles/:id',
    {
      summary: 'Delete a role (not a built-in one); its holders lose it',
      params,
      status: 204,
      problems: [400, 401, 403, 404, 409],
    },
    (request) => deleteRole(deps, requireActor(request), request.params.id, clientInfo(request)),
  );

  route.post(
    '/v1/roles/:id/users',
    {
      summary:
        "Give a role to a member of the role's organization (a platform role: to anyone, by platform admins)",
      params,
      body: z.object({ userId: z.uuid() }).strict(),
      status: 201,
      response: roleGrantDto,
      problems: [400, 401, 403, 404, 409],
    },
    (request) =>
      grantRole(deps, requireActor(request), request.params.id, request.body.userId, clientInfo(request)),
  );

  route.delete(
    '/v1/roles/:id/users/:userId',
    {
      summary: 'Take a role from a user',
      params: roleUserParams,
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) =>
      revokeRole(deps, requireActor(request), request.params.id, request.params.userId, clientInfo(request)),
  );

  route.post(
    '/v1/users/:userId/permissions',
    {
      summary: 'Grant a permission directly to a member of my current organization (owners)',
      params: z.object({ userId: z.uuid() }),
      body: z.object({ permission: permissionName }).strict(),
      status: 201,
      response: permissionGrantDto,
      problems: [400, 401, 403, 404, 409],
    },
    (request) =>
      grantPermission(
        deps,
        requireActor(request),
        request.params.userId,
        request.body.permission,
        clientInfo(request),
      ),
  );

  route.delete(
    '/v1/users/:userId/permissions/:permission',
    {
      summary: 'Withdraw a direct grant in my current organization (owners)',
      params: z.object({ userId: z.uuid(), permission: permissionName }),
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) =>
      revokePermission(
        deps,
        requireActor(request),
        request.params.userId,
        request.params.permission,
        clientInfo(request),
      ),
  );
}
