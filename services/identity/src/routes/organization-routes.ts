import { requireActor } from '@conduit/auth';
import { organizationRoleSchema, pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { clientInfo, routeGroup, type ServiceApp } from '@conduit/service-kit';
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
import { slugInput } from '../domain/slug.js';
import { emailAddress } from '../domain/users/email-address.js';

const tags = ['organizations'];
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
  const route = routeGroup(app, { tags });
  route.post(
    '/v1/organizations',
    {
      summary: 'Create an organization (I become its owner)',
      body: z.object({ name: readableText(200), slug: slugInput.optional() }),
      status: 201,
      response: organizationDto,
      problems: [400, 401, 409],
    },
    (request) => createOrganization(deps, requireActor(request), request.body, clientInfo(request)),
  );

  route.get(
    '/v1/organizations',
    {
      summary: 'My organizations, oldest first',
      querystring: pageQuery,
      response: pageOf(organizationDto),
      problems: [400, 401],
    },
    (request) => listMyOrganizations(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/organizations/:id',
    { summary: 'An organization I belong to', params, response: organizationDto, problems: [400, 401, 404] },
    (request) => getOrganization(deps, requireActor(request), request.params.id),
  );

  route.get(
    '/v1/organizations/:id/members',
    {
      summary: 'Members of an organization I belong to, by joining time',
      params,
      querystring: pageQuery,
      response: pageOf(memberDto),
      problems: [400, 401, 404],
    },
    (request) => listOrganizationMembers(deps, requireActor(request), request.params.id, request.query),
  );

  route.post(
    '/v1/organizations/:id/invites',
    {
      summary: 'Invite someone by email (owners and admins); the token is mailed to them',
      params,
      body: z.object({ email: emailAddress, role: organizationRoleSchema.default('member') }),
      status: 201,
      response: inviteDto,
      problems: [400, 401, 403, 404],
    },
    (request) =>
      inviteToOrganization(deps, requireActor(request), request.params.id, request.body, clientInfo(request)),
  );

  route.post(
    '/v1/invites/accept',
    {
      summary: 'Accept an invite sent to my email address',
      body: z.object({ token: storableText(200).min(20) }),
      response: z.object({ organizationId: z.uuid(), teamId: z.uuid().nullable() }),
      problems: [400, 401, 404],
    },
    (request) => acceptInvite(deps, requireActor(request), request.body.token, clientInfo(request)),
  );
}
