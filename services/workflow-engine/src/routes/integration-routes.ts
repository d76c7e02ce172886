import { requireActor } from '@conduit/auth';
import { readableText, storableJsonObject, storableText } from '@conduit/contracts';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { WorkflowDeps } from '../deps.js';
import { connectionDto, integrationDto } from '../domain/integrations/integration-dto.js';
import {
  createIntegration,
  integrationKinds,
  listIntegrations,
  updateIntegration,
} from '../domain/integrations/manage-catalog.js';
import {
  createConnection,
  deleteConnection,
  getConnection,
  listConnections,
  updateConnection,
} from '../domain/integrations/manage-connections.js';
import { testConnection } from '../domain/integrations/test-connection.js';

const security = [{ bearer: [] }];
const catalogTags = ['integrations'];
const tags = ['connections'];

const connectionParams = z.object({ connectionId: z.uuid() });
const teamList = z.array(z.uuid()).max(50);
const config = storableJsonObject({ maxDepth: 16, maxBytes: 64 * 1024 });

/**
 * The integrations catalog (read by anyone signed in, kept by platform admins) and connections,
 * the configured instances that workflows name by id: their secrets go in and never come out.
 */
export function integrationRoutes(app: ServiceApp, deps: WorkflowDeps) {
  app.get(
    '/v1/integrations',
    {
      schema: {
        tags: catalogTags,
        security,
        summary: 'The integrations catalog (retired entries too with ?all=true, for platform admins)',
        querystring: z
          .object({ category: storableText(100).optional(), all: z.enum(['true', 'false']).optional() })
          .strict(),
        response: { 200: z.object({ items: z.array(integrationDto) }), ...problemResponses(400, 401) },
      },
    },
    async (request) =>
      listIntegrations(deps, requireActor(request), {
        category: request.query.category,
        all: request.query.all === 'true',
      }),
  );

  app.post(
    '/v1/integrations',
    {
      schema: {
        tags: catalogTags,
        security,
        summary: 'Add an integration to the catalog (platform admins)',
        body: z
          .object({
            key: z
              .string()
              .max(63)
              .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -'),
            name: readableText(200),
            category: readableText(100),
            description: storableText(2000).optional(),
            kind: z.enum(integrationKinds),
            configSchema: config,
          })
          .strict(),
        response: { 201: integrationDto, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createIntegration(deps, requireActor(request), request.body)),
  );

  app.patch(
    '/v1/integrations/:integrationId',
    {
      schema: {
        tags: catalogTags,
        security,
        summary: 'Change or retire (isActive: false) a catalog entry (platform admins)',
        params: z.object({ integrationId: z.uuid() }),
        body: z
          .object({
            name: readableText(200).optional(),
            category: readableText(100).optional(),
            description: storableText(2000).optional(),
            isActive: z.boolean().optional(),
          })
          .strict(),
        response: { 200: integrationDto, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      updateIntegration(deps, requireActor(request), request.params.integrationId, request.body),
  );

  app.get(
    '/v1/integrations/connections',
    {
      schema: {
        tags,
        security,
        summary: "My connections, my teams' and those shared with my teams (secrets masked)",
        response: { 200: z.object({ items: z.array(connectionDto) }), ...problemResponses(401) },
      },
    },
    async (request) => listConnections(deps, requireActor(request)),
  );

  app.post(
    '/v1/integrations/connections',
    {
      schema: {
        tags,
        security,
        summary:
          "Configure a connection (mine or my team's); its config is checked against the integration's JSON Schema",
        body: z
          .object({
            integrationId: z.uuid(),
            name: readableText(200),
            config,
            teamId: z.uuid().optional(),
            sharedTeamIds: teamList.optional(),
          })
          .strict(),
        response: { 201: connectionDto, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createConnection(deps, requireActor(request), request.body)),
  );

  app.get(
    '/v1/integrations/connections/:connectionId',
    {
      schema: {
        tags,
        security,
        summary: 'A connection (secrets masked)',
        params: connectionParams,
        response: { 200: connectionDto, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => getConnection(deps, requireActor(request), request.params.connectionId),
  );

  app.patch(
    '/v1/integrations/connections/:connectionId',
    {
      schema: {
        tags,
        security,
        summary: 'Change a connection (secret fields left out or sent back masked keep their value)',
        params: connectionParams,
        body: z
          .object({
            name: readableText(200).optional(),
            config: config.optional(),
            isActive: z.boolean().optional(),
            sharedTeamIds: teamList.optional(),
          })
          .strict(),
        response: { 200: connectionDto, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) =>
      updateConnection(deps, requireActor(request), request.params.connectionId, request.body),
  );

  app.delete(
    '/v1/integrations/connections/:connectionId',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a connection',
        params: connectionParams,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deleteConnection(deps, requireActor(request), request.params.connectionId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/integrations/connections/:connectionId/test',
    {
      schema: {
        tags,
        security,
        summary: 'Try a connection and say what failed',
        params: connectionParams,
        response: {
          200: z.object({ ok: z.boolean(), message: z.string(), status: z.int().optional() }),
          ...problemResponses(400, 401, 403, 404, 422),
        },
      },
    },
    async (request) => testConnection(deps, requireActor(request), request.params.connectionId),
  );
}
