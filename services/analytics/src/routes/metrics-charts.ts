import { requireActor } from '@conduit/auth';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { AnalyticsDeps } from '../deps.js';
import { chartKinds } from '../domain/metrics/charts/chart-spec.js';
import { drawExploration, setExplorationChart } from '../domain/metrics/charts/exploration-chart.js';

const tags = ['metrics: explorations'];
const params = z.object({ explorationId: z.uuid() });
const chartQuery = z.object({
  kind: z.enum(chartKinds).optional().describe("the exploration's own chart kind unless given"),
  width: z.coerce.number().int().min(100).max(2000).optional(),
  height: z.coerce.number().int().min(100).max(2000).optional(),
});

/** An exploration drawn on the server, as SVG and PNG; behind `authenticate`. */
export function metricsChartRoutes(app: ServiceApp, deps: AnalyticsDeps) {
  const route = routeGroup(app, { tags });
  for (const format of ['svg', 'png'] as const)
    route.get(
      `/v1/metrics/explorations/:explorationId/chart.${format}`,
      {
        summary: `An exploration run and drawn as its chart (${format.toUpperCase()})`,
        params,
        querystring: chartQuery,
        responses: {
          200: z.string().describe(format === 'svg' ? 'image/svg+xml' : 'image/png'),
        },
        problems: [400, 401, 404, 422, 502],
      },
      async (request, reply) => {
        const image = await drawExploration(deps, requireActor(request), request.params.explorationId, {
          format,
          ...request.query,
        });
        return reply
          .type(format === 'svg' ? 'image/svg+xml' : 'image/png')
          .header('cache-control', 'private, no-store')
          .send(image);
      },
    );

  route.put(
    '/v1/metrics/explorations/:explorationId/chart',
    {
      summary:
        'Choose how an exploration is drawn (line, bar, area or table), here and in its reports and alerts',
      params,
      body: z.object({ kind: z.enum(chartKinds) }).strict(),
      response: z.object({ explorationId: z.uuid(), kind: z.enum(chartKinds) }),
      problems: [400, 401, 403, 404],
    },
    (request) =>
      setExplorationChart(deps, requireActor(request), request.params.explorationId, request.body.kind),
  );
}
