import { requireActor } from '@conduit/auth';
import { organizationRoleSchema, pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { acceptInvite } from '../domain/invites/invites.js';
import { inviteToOrganization } from '../domain/organizations/invite-to-organization.js';
import {
  createOrganization,
  getOrganization,
  listMyOrganizations,
  listOrganizationMembers,
} from '../domain/organizations/organizations.js';
import { clientInfo } from './client-info.js';

const tags = ['organizations'];
const security = [{ bearer: [] }];
const slug = z
  .string()
  .max(63)
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lower-case letters, digits and -, 2 to 63 characters');
const email = storableText(254).trim().pipe(z.email());
const organizationDto = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  personal: z.boolean(),
  myRole: z.string().nullable(),
  createdAt: z.string(),
});
const memberDto = z.object({
  userId: z.uuid(),
  username: z.string(),
  name: z.string().nullable(),
  email: z.string(),
  role: z.string(),
  joinedAt: z.string(),
});
export const inviteDto = z.object({
  id: z.uuid(),
  organizationId: z.uuid(),
  teamId: z.uuid().nullable(),
  email: z.string(),
  role: z.string(),
  expiresAt: z.string(),
});
const params = z.object({ id: z.uuid() });

/** Organizations (tenants) and invitations into them; registered behind `authenticate`. */
export function organizationRoutes(app: ServiceApp, deps: IdentityDeps) {
  app.post(
    '/v1/organizations',
    {
      schema: {
        tags,
        security,
        summary: 'Create an organization (I become its owner)',
        body: z.object({ name: readableText(200), slug: slug.optional() }),
        response: { 201: organizationDto, ...problemResponses(400, 401, 409) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await createOrganization(deps, requireActor(request), request.body, clientInfo(request))),
  );

  app.get(
    '/v1/organizations',
    {
      schema: {
        tags,
        security,
        summary: 'My organizations, oldest first',
        querystring: pageQuery,
        response: { 200: pageOf(organizationDto), ...problemResponses(400, 401) },
      },
    },
    async (request) => listMyOrganizations(deps, requireActor(request), request.query),
  );

  app.get(
    '/v1/organizations/:id',
    {
      schema: {
        tags,
        security,
        summary: 'An organization I belong to',
        params,
        response: { 200: organizationDto, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => getOrganization(deps, requireActor(request), request.params.id),
  );

  app.get(
    '/v1/organizations/:id/members',
    {
      schema: {
        tags,
        security,
        summary: 'Members of an organization I belong to, by joining time',
        params,
        querystring: pageQuery,
        response: { 200: pageOf(memberDto), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => listOrganizationMembers(deps, requireActor(request), request.params.id, request.query),
  );

  app.post(
    '/v1/organizations/:id/invites',
    {
      schema: {
        tags,
        security,
        summary: 'Invite someone by email (owners and admins); the token is mailed to them',
        params,
        body: z.object({ email, role: organizationRoleSchema.default('member') }),
        response: { 201: inviteDto, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await inviteToOrganization(
            deps,
            requireActor(request),
            request.params.id,
            request.body,
            clientInfo(request),
          ),
        ),
  );

  app.post(
    '/v1/invites/accept',
    {
      schema: {
        tags,
        security,
        summary: 'Accept an invite sent to my email address',
        body: z.object({ token: storableText(200).min(20) }),
        response: {
          200: z.object({ organizationId: z.uuid(), teamId: z.uuid().nullable() }),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (request) => acceptInvite(deps, requireActor(request), request.body.token, clientInfo(request)),
  );
}
