import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableJsonObject, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
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

const connectionParams = z.object({ connectionId: z.uuid() });
const teamList = z.array(z.uuid()).max(50);
const config = storableJsonObject({ maxDepth: 16, maxBytes: 64 * 1024 });

/**
 * The integrations catalog (read by anyone signed in, kept by platform admins) and connections,
 * the configured instances that workflows name by id: their secrets go in and never come out.
 */
export function integrationRoutes(app: ServiceApp, deps: WorkflowDeps) {
  const catalog = routeGroup(app, { tags: ['integrations'] });
  const route = routeGroup(app, { tags: ['connections'] });
  catalog.get(
    '/v1/integrations',
    {
      summary:
        'The integrations catalog by category and name (retired entries too with ?all=true, for platform admins)',
      querystring: pageQuery
        .extend({ category: storableText(100).optional(), all: z.enum(['true', 'false']).optional() })
        .strict(),
      response: pageOf(integrationDto),
      problems: [400, 401],
    },
    (request) =>
      listIntegrations(deps, requireActor(request), {
        ...request.query,
        all: request.query.all === 'true',
      }),
  );

  catalog.post(
    '/v1/integrations',
    {
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
      status: 201,
      response: integrationDto,
      problems: [400, 401, 403, 409, 422],
    },
    (request) => createIntegration(deps, requireActor(request), request.body),
  );

  catalog.patch(
    '/v1/integrations/:integrationId',
    {
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
      response: integrationDto,
      problems: [400, 401, 403, 404],
    },
    (request) => updateIntegration(deps, requireActor(request), request.params.integrationId, request.body),
  );

  route.get(
    '/v1/integrations/connections',
    {
      summary: "My connections, my teams' and those shared with my teams, by name (secrets masked)",
      querystring: pageQuery,
      response: pageOf(connectionDto),
      problems: [400, 401],
    },
    (request) => listConnections(deps, requireActor(request), request.query),
  );

  route.post(
    '/v1/integrations/connections',
    {
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
      status: 201,
      response: connectionDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => createConnection(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/integrations/connections/:connectionId',
    {
      summary: 'A connection (secrets masked)',
      params: connectionParams,
      response: connectionDto,
      problems: [400, 401, 404],
    },
    (request) => getConnection(deps, requireActor(request), request.params.connectionId),
  );

  route.patch(
    '/v1/integrations/connections/:connectionId',
    {
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
      response: connectionDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => updateConnection(deps, requireActor(request), request.params.connectionId, request.body),
  );

  route.delete(
    '/v1/integrations/connections/:connectionId',
    {
      summary: 'Delete a connection',
      params: connectionParams,
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) => deleteConnection(deps, requireActor(request), request.params.connectionId),
  );

  route.post(
    '/v1/integrations/connections/:connectionId/test',
    {
      summary: 'Try a connection and say what failed',
      params: connectionParams,
      response: z.object({ ok: z.boolean(), message: z.string(), status: z.int().optional() }),
      problems: [400, 401, 403, 404, 422],
    },
    (request) => testConnection(deps, requireActor(request), request.params.connectionId),
  );
}
