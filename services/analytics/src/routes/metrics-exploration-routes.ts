import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { AnalyticsDeps } from '../deps.js';
import { explorationQuery } from '../domain/metrics/compiler/exploration-query.js';
import { explorationDto } from '../domain/metrics/explorations/exploration-dto.js';
import { explorationResult } from '../domain/metrics/explorations/exploration-result.js';
import { getExploration } from '../domain/metrics/explorations/find-exploration.js';
import { listExplorations } from '../domain/metrics/explorations/list-explorations.js';
import { runExploration } from '../domain/metrics/explorations/run-exploration.js';
import { runQuery } from '../domain/metrics/explorations/run-query.js';
import {
  createExploration,
  deleteExploration,
  updateExploration,
} from '../domain/metrics/explorations/save-exploration.js';

const tags = ['metrics'];
const idParams = z.object({ explorationId: z.uuid() });
/** Bad input and queries that do not fit the schema; 502 when an external source cannot be reached. */
const runProblems = [400, 401, 404, 422, 502];

/** Explorations (saved queries of a schema's members) and one-off queries. */
export function metricsExplorationRoutes(app: ServiceApp, deps: AnalyticsDeps) {
  const route = routeGroup(app, { tags });

  route.post(
    '/v1/metrics/query',
    {
      summary: "Run a query of a data schema's members without saving it",
      body: z.object({ dataschemaId: z.uuid(), query: explorationQuery }).strict(),
      response: explorationResult,
      problems: runProblems,
    },
    (request) => runQuery(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/metrics/explorations',
    {
      summary: "A team's explorations",
      querystring: pageQuery.extend({ teamId: z.uuid() }),
      response: pageOf(explorationDto),
      problems: [400, 401, 404],
    },
    (request) => listExplorations(deps, requireActor(request), request.query),
  );

  route.post(
    '/v1/metrics/explorations',
    {
      summary: 'Save a query as an exploration (compiled once first)',
      body: z.object({ dataschemaId: z.uuid(), name: readableText(200), query: explorationQuery }).strict(),
      status: 201,
      response: explorationDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => createExploration(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/metrics/explorations/:explorationId',
    {
      summary: 'An exploration',
      params: idParams,
      response: explorationDto,
      problems: [400, 401, 404],
    },
    (request) => getExploration(deps, requireActor(request), request.params.explorationId),
  );

  route.patch(
    '/v1/metrics/explorations/:explorationId',
    {
      summary: 'Rename an exploration or replace its query',
      params: idParams,
      body: z.object({ name: readableText(200).optional(), query: explorationQuery.optional() }).strict(),
      response: explorationDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => updateExploration(deps, requireActor(request), request.params.explorationId, request.body),
  );

  route.delete(
    '/v1/metrics/explorations/:explorationId',
    {
      summary: 'Delete an exploration',
      params: idParams,
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) => deleteExploration(deps, requireActor(request), request.params.explorationId),
  );

  route.post(
    '/v1/metrics/explorations/:explorationId/run',
    {
      summary: 'Run an exploration: rows, the SQL that ran and the time it took',
      params: idParams,
      response: explorationResult,
      problems: runProblems,
    },
    (request) => runExploration(deps, requireActor(request), request.params.explorationId),
  );
}
