import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { AnalyticsDeps } from '../deps.js';
import { schemaFormats } from '../domain/metrics/cubes/cube-schema.js';
import { createDataschema } from '../domain/metrics/dataschemas/create-dataschema.js';
import {
  dataschemaDto,
  dataschemaVersionDto,
  schemaMemberDto,
} from '../domain/metrics/dataschemas/dataschema-dto.js';
import { deleteDataschema } from '../domain/metrics/dataschemas/delete-dataschema.js';
import { getDataschema } from '../domain/metrics/dataschemas/find-dataschema.js';
import { listDataschemas, listDataschemaVersions } from '../domain/metrics/dataschemas/list-dataschemas.js';
import { saveDataschemaVersion } from '../domain/metrics/dataschemas/save-dataschema-version.js';

const tags = ['metrics'];
const idParams = z.object({ dataschemaId: z.uuid() });
/** A schema's code: YAML or JSON text of up to 256 KiB. */
const code = storableText(262_144).min(1);

/** Data schemas: cubes of measures, dimensions, joins and segments over a source, versioned. */
export function metricsDataschemaRoutes(app: ServiceApp, deps: AnalyticsDeps) {
  const route = routeGroup(app, { tags });

  route.get(
    '/v1/metrics/dataschemas',
    {
      summary: "A team's data schemas with their members (the built-in one first)",
      querystring: pageQuery.extend({ teamId: z.uuid(), datasourceId: z.uuid().optional() }),
      response: pageOf(dataschemaDto),
      problems: [400, 401, 404],
    },
    (request) => listDataschemas(deps, requireActor(request), request.query),
  );

  route.post(
    '/v1/metrics/dataschemas',
    {
      summary: 'Save a data schema over a source (422 names the path of what is wrong)',
      body: z
        .object({
          datasourceId: z.uuid(),
          name: readableText(200),
          format: z.enum(schemaFormats).default('yaml'),
          code,
        })
        .strict(),
      status: 201,
      response: dataschemaDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => createDataschema(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/metrics/dataschemas/:dataschemaId',
    {
      summary: "A data schema's latest version with its members",
      params: idParams,
      response: dataschemaDto,
      problems: [400, 401, 404],
    },
    (request) => getDataschema(deps, requireActor(request), request.params.dataschemaId),
  );

  route.get(
    '/v1/metrics/dataschemas/:dataschemaId/members',
    {
      summary: "A data schema's measures, dimensions and segments",
      params: idParams,
      response: z.object({ items: z.array(schemaMemberDto) }),
      problems: [400, 401, 404],
    },
    async (request) => ({
      items: (await getDataschema(deps, requireActor(request), request.params.dataschemaId)).members,
    }),
  );

  route.put(
    '/v1/metrics/dataschemas/:dataschemaId',
    {
      summary: 'Save the next version of a data schema (earlier versions are kept)',
      params: idParams,
      body: z
        .object({ name: readableText(200).optional(), format: z.enum(schemaFormats).default('yaml'), code })
        .strict(),
      response: dataschemaDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) =>
      saveDataschemaVersion(deps, requireActor(request), request.params.dataschemaId, request.body),
  );

  route.get(
    '/v1/metrics/dataschemas/:dataschemaId/versions',
    {
      summary: "A data schema's saved versions, newest first",
      params: idParams,
      querystring: pageQuery,
      response: pageOf(dataschemaVersionDto),
      problems: [400, 401, 404],
    },
    (request) =>
      listDataschemaVersions(deps, requireActor(request), request.params.dataschemaId, request.query),
  );

  route.delete(
    '/v1/metrics/dataschemas/:dataschemaId',
    {
      summary: 'Delete a data schema with its versions and explorations',
      params: idParams,
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) => deleteDataschema(deps, requireActor(request), request.params.dataschemaId),
  );
}
