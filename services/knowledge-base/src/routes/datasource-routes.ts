import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery } from '@conduit/contracts';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { KnowledgeDeps } from '../deps.js';
import {
  createUrlDatasource,
  datasourceDto,
  deleteDatasource,
  listDatasources,
} from '../domain/datasources/url-datasources.js';
import { collectionParams } from './collection-routes.js';

const tags = ['knowledge bases'];
const security = [{ bearer: [] }];
/** Five or six cron fields (minute first, or second first). */
const CRON = /^(\S+\s+){4,5}\S+$/;

/** Where a collection's documents come from (URL sources here; uploads make their own). */
export function datasourceRoutes(app: ServiceApp, deps: KnowledgeDeps) {
  app.post(
    '/v1/kb/collections/:collectionId/datasources',
    {
      schema: {
        tags,
        security,
        summary: 'Add a URL data source, fetched now and optionally on a cron schedule',
        params: collectionParams,
        body: z
          .object({
            url: z.url({ protocol: /^https?$/ }).max(2000),
            schedule: z.string().regex(CRON, 'a cron pattern such as "0 3 * * *"').max(100).optional(),
          })
          .strict(),
        response: { 201: datasourceDto, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await createUrlDatasource(deps, requireActor(request), request.params.collectionId, request.body),
        ),
  );

  app.get(
    '/v1/kb/collections/:collectionId/datasources',
    {
      schema: {
        tags,
        security,
        summary: 'Data sources of a knowledge base, oldest first',
        params: collectionParams,
        querystring: pageQuery,
        response: { 200: pageOf(datasourceDto), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) =>
      listDatasources(deps, requireActor(request), request.params.collectionId, request.query),
  );

  app.delete(
    '/v1/kb/collections/:collectionId/datasources/:datasourceId',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a data source (its documents stay) and stop its schedule',
        params: collectionParams.extend({ datasourceId: z.uuid() }),
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deleteDatasource(
        deps,
        requireActor(request),
        request.params.collectionId,
        request.params.datasourceId,
      );
      return reply.code(204).send(null);
    },
  );
}
