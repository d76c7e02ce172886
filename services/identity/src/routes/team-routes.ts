import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableText, teamRoleSchema } from '@conduit/contracts';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import {
  addTeamMember,
  changeTeamMemberRole,
  inviteToTeam,
  leaveTeam,
  removeTeamMember,
} from '../domain/teams/team-membership.js';
import { createTeam, getTeam, listMyTeams, listTeamMembers } from '../domain/teams/teams.js';
import { clientInfo } from './client-info.js';
import { inviteDto } from './organization-routes.js';

const tags = ['teams'];
const security = [{ bearer: [] }];
const email = storableText(254).trim().pipe(z.email());
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
  app.post(
    '/v1/teams',
    {
      schema: {
        tags,
        security,
        summary: 'Create a team in one of my organizations (I become its owner)',
        body: z.object({
          name: readableText(200),
          slug: z
            .string()
            .max(63)
            .regex(/^[a-z0-9][a-z0-9-]{1,62}$/)
            .optional(),
          organizationId: z.uuid().optional(),
        }),
        response: { 201: teamDto, ...problemResponses(400, 401, 404, 409) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createTeam(deps, requireActor(request), request.body, clientInfo(request))),
  );

  app.get(
    '/v1/teams',
    {
      schema: {
        tags,
        security,
        summary: 'My teams, with my role in each, oldest first',
        querystring: pageQuery,
        response: { 200: pageOf(teamDto), ...problemResponses(400, 401) },
      },
    },
    async (request) => listMyTeams(deps, requireActor(request), request.query),
  );

  app.get(
    '/v1/teams/:id',
    {
      schema: {
        tags,
        security,
        summary: 'A team I belong to',
        params,
        response: { 200: teamDto, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => getTeam(deps, requireActor(request), request.params.id),
  );

  app.get(
    '/v1/teams/:id/members',
    {
      schema: {
        tags,
        security,
        summary: 'Members of a team I belong to, by joining time',
        params,
        querystring: pageQuery,
        response: { 200: pageOf(memberDto), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => listTeamMembers(deps, requireActor(request), request.params.id, request.query),
  );

  app.post(
    '/v1/teams/:id/members',
    {
      schema: {
        tags,
        security,
        summary: 'Add a member of the organization to the team (owners and admins)',
        params,
        body: z.object({ email, role: teamRoleSchema.default('member') }),
        response: { 201: membershipDto, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await addTeamMember(
            deps,
            requireActor(request),
            request.params.id,
            request.body,
            clientInfo(request),
          ),
        ),
  );

  app.post(
    '/v1/teams/:id/invites',
    {
      schema: {
        tags,
        security,
        summary: 'Invite someone by email into the team (owners and admins)',
        params,
        body: z.object({ email, role: teamRoleSchema.default('member') }),
        response: { 201: inviteDto, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await inviteToTeam(
            deps,
            requireActor(request),
            request.params.id,
            request.body,
            clientInfo(request),
          ),
        ),
  );

  app.patch(
    '/v1/teams/:id/members/:userId',
    {
      schema: {
        tags,
        security,
        summary: "Change a member's role (owners and admins; only owners touch owners)",
        params: memberParams,
        body: z.object({ role: teamRoleSchema }),
        response: { 200: membershipDto, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      changeTeamMemberRole(
        deps,
        requireActor(request),
        request.params.id,
        request.params.userId,
        request.body.role,
        clientInfo(request),
      ),
  );

  app.delete(
    '/v1/teams/:id/members/:userId',
    {
      schema: {
        tags,
        security,
        summary: 'Remove a member (ends their sessions); never the last owner',
        params: memberParams,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await removeTeamMember(
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
    '/v1/teams/:id/leave',
    {
      schema: {
        tags,
        security,
        summary: 'Leave a team (not as its last owner)',
        params,
        response: { 204: z.null(), ...problemResponses(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      await leaveTeam(deps, requireActor(request), request.params.id, clientInfo(request));
      return reply.code(204).send(null);
    },
  );
}
