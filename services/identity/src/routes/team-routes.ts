import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, teamRoleSchema } from '@conduit/contracts';
import { clientInfo, routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { slugInput } from '../domain/slug.js';
import {
  addTeamMember,
  changeTeamMemberRole,
  inviteToTeam,
  leaveTeam,
  removeTeamMember,
} from '../domain/teams/team-membership.js';
import { createTeam, getTeam, listMyTeams, listTeamMembers } from '../domain/teams/teams.js';
import { emailAddress } from '../domain/users/email-address.js';
import { inviteDto } from './organization-routes.js';

const tags = ['teams'];
const teamDto = z.object({
  id: z.uuid(),
  organizationId: z.uuid(),
  name: z.string(),
  slug: z.string(),
  plan: z.string().nullable(),
  myRole: z.string(),
  createdAt: z.string(),
});
const memberDto = z.object({
  userId: z.uuid(),
  username: z.string().nullable(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  role: z.string(),
  invitedAt: z.string().nullable(),
  joinedAt: z.string(),
});
const membershipDto = z.object({
  userId: z.uuid(),
  teamId: z.uuid(),
  role: z.string(),
  joinedAt: z.string().optional(),
});
const params = z.object({ id: z.uuid() });
const memberParams = z.object({ id: z.uuid(), userId: z.uuid() });

/** Teams and their members; registered behind `authenticate`. */
export function teamRoutes(app: ServiceApp, deps: IdentityDeps) {
  const route = routeGroup(app, { tags });
  route.post(
    '/v1/teams',
    {
      summary: 'Create a team in one of my organizations (I become its owner)',
      body: z.object({
        name: readableText(200),
        slug: slugInput.optional(),
        organizationId: z.uuid().optional(),
      }),
      status: 201,
      response: teamDto,
      problems: [400, 401, 404, 409],
    },
    (request) => createTeam(deps, requireActor(request), request.body, clientInfo(request)),
  );

  route.get(
    '/v1/teams',
    {
      summary: 'My teams, with my role in each, oldest first',
      querystring: pageQuery,
      response: pageOf(teamDto),
      problems: [400, 401],
    },
    (request) => listMyTeams(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/teams/:id',
    { summary: 'A team I belong to', params, response: teamDto, problems: [400, 401, 404] },
    (request) => getTeam(deps, requireActor(request), request.params.id),
  );

  route.get(
    '/v1/teams/:id/members',
    {
      summary: 'Members of a team I belong to, by joining time',
      params,
      querystring: pageQuery,
      response: pageOf(memberDto),
      problems: [400, 401, 404],
    },
    (request) => listTeamMembers(deps, requireActor(request), request.params.id, request.query),
  );

  route.post(
    '/v1/teams/:id/members',
    {
      summary: 'Add a member of the organization to the team (owners and admins)',
      params,
      body: z.object({ email: emailAddress, role: teamRoleSchema.default('member') }),
      status: 201,
      response: membershipDto,
      problems: [400, 401, 403, 404, 409],
    },
    (request) =>
      addTeamMember(deps, requireActor(request), request.params.id, request.body, clientInfo(request)),
  );

  route.post(
    '/v1/teams/:id/invites',
    {
      summary: 'Invite someone by email into the team (owners and admins)',
      params,
      body: z.object({ email: emailAddress, role: teamRoleSchema.default('member') }),
      status: 201,
      response: inviteDto,
      problems: [400, 401, 403, 404],
    },
    (request) =>
      inviteToTeam(deps, requireActor(request), request.params.id, request.body, clientInfo(request)),
  );

  route.patch(
    '/v1/teams/:id/members/:userId',
    {
      summary: "Change a member's role (owners and admins; only owners touch owners)",
      params: memberParams,
      body: z.object({ role: teamRoleSchema }),
      response: membershipDto,
      problems: [400, 401, 403, 404, 409],
    },
    (request) =>
      changeTeamMemberRole(
        deps,
        requireActor(request),
        request.params.id,
        request.params.userId,
        request.body.role,
        clientInfo(request),
      ),
  );

  route.delete(
    '/v1/teams/:id/members/:userId',
    {
      summary: 'Remove a member (ends their sessions); never the last owner',
      params: memberParams,
      status: 204,
      problems: [400, 401, 403, 404, 409],
    },
    (request) =>
      removeTeamMember(
        deps,
        requireActor(request),
        request.params.id,
        request.params.userId,
        clientInfo(request),
      ),
  );

  route.post(
    '/v1/teams/:id/leave',
    { summary: 'Leave a team (not as its last owner)', params, status: 204, problems: [400, 401, 404, 409] },
    (request) => leaveTeam(deps, requireActor(request), request.params.id, clientInfo(request)),
  );
}
