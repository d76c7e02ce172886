import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
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
/** Five or six cron fields (minute first, or second first). */
const CRON = /^(\S+\s+){4,5}\S+$/;

/** Where a collection's documents come from (URL sources here; uploads make their own). */
export function datasourceRoutes(app: ServiceApp, deps: KnowledgeDeps) {
  const route = routeGroup(app, { tags });
  route.post(
    '/v1/kb/collections/:collectionId/datasources',
    {
      summary: 'Add a URL data source, fetched now and optionally on a cron schedule',
      params: collectionParams,
      body: z
        .object({
          url: z.url({ protocol: /^https?$/ }).max(2000),
          schedule: z.string().regex(CRON, 'a cron pattern such as "0 3 * * *"').max(100).optional(),
        })
        .strict(),
      status: 201,
      response: datasourceDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => createUrlDatasource(deps, requireActor(request), request.params.collectionId, request.body),
  );

  route.get(
    '/v1/kb/collections/:collectionId/datasources',
    {
      summary: 'Data sources of a knowledge base, oldest first',
      params: collectionParams,
      querystring: pageQuery,
      response: pageOf(datasourceDto),
      problems: [400, 401, 404],
    },
    (request) => listDatasources(deps, requireActor(request), request.params.collectionId, request.query),
  );

  route.delete(
    '/v1/kb/collections/:collectionId/datasources/:datasourceId',
    {
      summary: 'Delete a data source (its documents stay) and stop its schedule',
      params: collectionParams.extend({ datasourceId: z.uuid() }),
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) =>
      deleteDatasource(deps, requireActor(request), request.params.collectionId, request.params.datasourceId),
  );
}
