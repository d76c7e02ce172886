import { requireActor } from '@conduit/auth';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { AnalyticsDeps } from '../deps.js';
import { instant, metricList } from '../domain/queries/query-params.js';
import { myUsage, organizationUsage } from '../domain/queries/usage.js';
import { totalsResponse } from './query-routes.js';

const usageQuery = z.object({
  from: instant.optional(),
  to: instant.optional(),
  metrics: metricList.optional(),
});

/** "My usage" for the actor and for their organization; behind `authenticate`. */
export function usageRoutes(app: ServiceApp, deps: AnalyticsDeps) {
  const route = routeGroup(app, { tags: ['analytics'] });
  route.get(
    '/v1/analytics/usage/me',
    {
      summary: 'My totals of every metric (this month unless from/to say otherwise)',
      querystring: usageQuery,
      response: totalsResponse,
      problems: [400, 401],
    },
    (request) => myUsage(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/analytics/usage/organization',
    {
      summary: "My organization's totals of every metric (needs analytics.read)",
      querystring: usageQuery,
      response: totalsResponse,
      problems: [400, 401, 403],
    },
    (request) => organizationUsage(deps, requireActor(request), request.query),
  );
}
