import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { AnalyticsDeps } from '../deps.js';
import { connectionSettings, sourcePassword } from '../domain/metrics/datasources/connection-settings.js';
import { createDatasource } from '../domain/metrics/datasources/create-datasource.js';
import { datasourceDto } from '../domain/metrics/datasources/datasource-dto.js';
import { deleteDatasource } from '../domain/metrics/datasources/delete-datasource.js';
import { getDatasource } from '../domain/metrics/datasources/find-datasource.js';
import { listDatasources } from '../domain/metrics/datasources/list-datasources.js';
import { updateDatasource } from '../domain/metrics/datasources/update-datasource.js';

const tags = ['metrics'];
const idParams = z.object({ datasourceId: z.uuid() });

/**
 * A team's data sources: the built-in one (Conduit's analytics) and external PostgreSQL databases.
 * Passwords go in and never come out.
 */
export function metricsDatasourceRoutes(app: ServiceApp, deps: AnalyticsDeps) {
  const route = routeGroup(app, { tags });

  route.get(
    '/v1/metrics/datasources',
    {
      summary: "A team's data sources, the built-in one first",
      querystring: pageQuery.extend({ teamId: z.uuid() }),
      response: pageOf(datasourceDto),
      problems: [400, 401, 404],
    },
    (request) => listDatasources(deps, requireActor(request), request.query),
  );

  route.post(
    '/v1/metrics/datasources',
    {
      summary: 'Add an external PostgreSQL database (connected to once first; 422 says why it failed)',
      body: z
        .object({
          teamId: z.uuid(),
          name: readableText(200),
          connection: connectionSettings.strict(),
          password: sourcePassword,
        })
        .strict(),
      status: 201,
      response: datasourceDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => createDatasource(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/metrics/datasources/:datasourceId',
    {
      summary: 'A data source (never its password)',
      params: idParams,
      response: datasourceDto,
      problems: [400, 401, 404],
    },
    (request) => getDatasource(deps, requireActor(request), request.params.datasourceId),
  );

  route.patch(
    '/v1/metrics/datasources/:datasourceId',
    {
      summary: 'Rename a data source or change how it is reached (connected to once first)',
      params: idParams,
      body: z
        .object({
          name: readableText(200).optional(),
          connection: connectionSettings.partial().strict().optional(),
          password: sourcePassword.optional(),
        })
        .strict(),
      response: datasourceDto,
      problems: [400, 401, 403, 404, 409, 422],
    },
    (request) => updateDatasource(deps, requireActor(request), request.params.datasourceId, request.body),
  );

  route.delete(
    '/v1/metrics/datasources/:datasourceId',
    {
      summary: 'Delete an external data source with its schemas and explorations',
      params: idParams,
      status: 204,
      problems: [400, 401, 403, 404, 409],
    },
    (request) => deleteDatasource(deps, requireActor(request), request.params.datasourceId),
  );
}
