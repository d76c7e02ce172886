import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, teamRoleSchema } from '@conduit/contracts';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { getMyPermissions } from '../domain/rbac/my-permissions.js';
import { listPermissions } from '../domain/rbac/permission-catalog.js';
import { grantPermission, revokePermission } from '../domain/rbac/permission-grants.js';
import { grantRole, revokeRole } from '../domain/rbac/role-grants.js';
import { createRole, deleteRole, getRole, listRoles, setRolePermissions } from '../domain/rbac/roles.js';
import { clientInfo } from './client-info.js';

const tags = ['roles and permissions'];
const security = [{ bearer: [] }];
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
  app.get(
    '/v1/permissions',
    {
      schema: {
        tags,
        security,
        summary: 'The catalog of permissions',
        response: {
          200: z.object({ items: z.array(z.object({ name: z.string(), description: z.string() })) }),
          ...problemResponses(401),
        },
      },
    },
    async (request) => listPermissions(deps, requireActor(request)),
  );

  app.get(
    '/v1/me/permissions',
    {
      schema: {
        tags,
        security,
        summary: 'What I may do in my current organization, read now (the token may be older)',
        response: {
          200: z.object({
            organizationId: z.uuid().nullable(),
            permissions: z.array(z.string()),
            teams: z.record(z.string(), teamRoleSchema),
            platformAdmin: z.boolean(),
          }),
          ...problemResponses(401),
        },
      },
    },
    async (request) => getMyPermissions(deps, requireActor(request)),
  );

  app.get(
    '/v1/roles',
    {
      schema: {
        tags,
        security,
        summary: "The roles of my current organization, then the platform's, with their permissions",
        querystring: pageQuery,
        response: { 200: pageOf(roleDto), ...problemResponses(400, 401) },
      },
    },
    async (request) => listRoles(deps, requireActor(request), request.query),
  );

  app.post(
    '/v1/roles',
    {
      schema: {
        tags,
        security,
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
        response: { 201: roleDto, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createRole(deps, requireActor(request), request.body, clientInfo(request))),
  );

  app.get(
    '/v1/roles/:id',
    {
      schema: {
        tags,
        security,
        summary: 'A role of my organization or of the platform',
        params,
        response: { 200: roleDto, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => getRole(deps, requireActor(request), request.params.id),
  );

  app.put(
    '/v1/roles/:id/permissions',
    {
      schema: {
        tags,
        security,
        summary: 'Replace the permissions of a role (not of a built-in one)',
        params,
        body: z.object({ permissions: permissionList }).strict(),
        response: { 200: roleDto, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      setRolePermissions(
        deps,
        requireActor(request),
        request.params.id,
        request.body.permissions,
        clientInfo(request),
      ),
  );

  app.delete(
    '/v1/roles/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a role (not a built-in one); its holders lose it',
        params,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await deleteRole(deps, requireActor(request), request.params.id, clientInfo(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/roles/:id/users',
    {
      schema: {
        tags,
        security,
        summary:
          "Give a role to a member of the role's organization (a platform role: to anyone, by platform admins)",
        params,
        body: z.object({ userId: z.uuid() }).strict(),
        response: { 201: roleGrantDto, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await grantRole(
            deps,
            requireActor(request),
            request.params.id,
            request.body.userId,
            clientInfo(request),
          ),
        ),
  );

  app.delete(
    '/v1/roles/:id/users/:userId',
    {
      schema: {
        tags,
        security,
        summary: 'Take a role from a user',
        params: roleUserParams,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await revokeRole(
        deps,
        requireActor(request),
        request.params.id,
        request.params.userId,
        clientInfo(request),
      );
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/users/:userId/permissions',
    {
      schema: {
        tags,
        security,
        summary: 'Grant a permission directly to a member of my current organization (owners)',
        params: z.object({ userId: z.uuid() }),
        body: z.object({ permission: permissionName }).strict(),
        response: { 201: permissionGrantDto, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await grantPermission(
            deps,
            requireActor(request),
            request.params.userId,
            request.body.permission,
            clientInfo(request),
          ),
        ),
  );

  app.delete(
    '/v1/users/:userId/permissions/:permission',
    {
      schema: {
        tags,
        security,
        summary: 'Withdraw a direct grant in my current organization (owners)',
        params: z.object({ userId: z.uuid(), permission: permissionName }),
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await revokePermission(
        deps,
        requireActor(request),
        request.params.userId,
        request.params.permission,
        clientInfo(request),
      );
      return reply.code(204).send(null);
    },
  );
}
