import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { WorkspaceDeps } from '../deps.js';
import {
  createProject,
  deleteProject,
  getProject,
  listProjects,
  updateProject,
} from '../domain/projects/manage-projects.js';
import {
  linkProjectChat,
  linkProjectFile,
  listProjectChats,
  listProjectFiles,
  unlinkProjectChat,
  unlinkProjectFile,
} from '../domain/projects/project-links.js';
import { mediaResponse } from './media-routes.js';

const tags = ['projects'];
const projectParams = z.object({ projectId: z.uuid() });
const linkParams = projectParams.extend({ linkId: z.uuid() });

export const projectResponse = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  ownerUserId: z.uuid(),
  teamId: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export const projectChatResponse = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  encryptedChatId: z.uuid().nullable(),
  sessionId: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
});
export const projectFileResponse = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  mediaId: z.uuid(),
  createdAt: z.iso.datetime(),
});

/** Projects (mine or a team's) with the chats and files put in them. */
export function projectRoutes(app: ServiceApp, deps: WorkspaceDeps) {
  const route = routeGroup(app, { tags });

  route.post(
    '/v1/workspace/projects',
    {
      summary: 'Create a project (mine, or shared with one of my teams)',
      body: z
        .object({
          name: readableText(200),
          description: storableText(4000).nullable().optional(),
          teamId: z.uuid().optional(),
        })
        .strict(),
      status: 201,
      response: projectResponse,
      problems: [400, 401, 403, 404],
    },
    (request) => createProject(deps, requireActor(request), request.body),
  );
  route.get(
    '/v1/workspace/projects',
    {
      summary: "My projects and my teams'",
      querystring: pageQuery,
      response: pageOf(projectResponse),
      problems: [400, 401],
    },
    (request) => listProjects(deps, requireActor(request), request.query),
  );
  route.get(
    '/v1/workspace/projects/:projectId',
    { summary: 'One project', params: projectParams, response: projectResponse, problems: [400, 401, 404] },
    (request) => getProject(deps, requireActor(request), request.params.projectId),
  );
  route.patch(
    '/v1/workspace/projects/:projectId',
    {
      summary: 'Rename or re-describe a project',
      params: projectParams,
      body: z
        .object({ name: readableText(200).optional(), description: storableText(4000).nullable().optional() })
        .strict(),
      response: projectResponse,
      problems: [400, 401, 403, 404],
    },
    (request) => updateProject(deps, requireActor(request), request.params.projectId, request.body),
  );
  route.delete(
    '/v1/workspace/projects/:projectId',
    {
      summary: 'Delete a project (its chats and files stay)',
      params: projectParams,
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) => deleteProject(deps, requireActor(request), request.params.projectId),
  );

  route.post(
    '/v1/workspace/projects/:projectId/chats',
    {
      summary:
        'Put one of my chats in a project: a chat session, or an encrypted chat (in a project of my own)',
      params: projectParams,
      body: z
        .object({ encryptedChatId: z.uuid().optional(), sessionId: z.uuid().optional() })
        .strict()
        .refine((body) => (body.encryptedChatId === undefined) !== (body.sessionId === undefined), {
          message: 'give either encryptedChatId or sessionId',
        }),
      status: 201,
      response: projectChatResponse,
      problems: [400, 401, 403, 404, 409, 422, 503],
    },
    (request) => linkProjectChat(deps, requireActor(request), request.params.projectId, request.body),
  );
  route.get(
    '/v1/workspace/projects/:projectId/chats',
    {
      summary: "A project's chats",
      params: projectParams,
      querystring: pageQuery,
      response: pageOf(projectChatResponse),
      problems: [400, 401, 404],
    },
    (request) => listProjectChats(deps, requireActor(request), request.params.projectId, request.query),
  );
  route.delete(
    '/v1/workspace/projects/:projectId/chats/:linkId',
    {
      summary: 'Take a chat out of a project (the chat stays)',
      params: linkParams,
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) =>
      unlinkProjectChat(deps, requireActor(request), request.params.projectId, request.params.linkId),
  );

  route.post(
    '/v1/workspace/projects/:projectId/files',
    {
      summary: "Put a file in a project (a team's project takes that team's files)",
      params: projectParams,
      body: z.object({ mediaId: z.uuid() }).strict(),
      status: 201,
      response: projectFileResponse.extend({ media: mediaResponse }),
      problems: [400, 401, 403, 404, 409, 422],
    },
    (request) => linkProjectFile(deps, requireActor(request), request.params.projectId, request.body.mediaId),
  );
  route.get(
    '/v1/workspace/projects/:projectId/files',
    {
      summary: "A project's files",
      params: projectParams,
      querystring: pageQuery,
      response: pageOf(projectFileResponse),
      problems: [400, 401, 404],
    },
    (request) => listProjectFiles(deps, requireActor(request), request.params.projectId, request.query),
  );
  route.delete(
    '/v1/workspace/projects/:projectId/files/:linkId',
    {
      summary: 'Take a file out of a project (the file stays)',
      params: linkParams,
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) =>
      unlinkProjectFile(deps, requireActor(request), request.params.projectId, request.params.linkId),
  );
}
