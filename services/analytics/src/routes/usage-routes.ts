import { requireActor } from '@conduit/auth';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { AnalyticsDeps } from '../deps.js';
import { myUsage, organizationUsage } from '../domain/queries/usage.js';
import { totalsResponse } from './query-routes.js';
import { instant, metricList, security, tags } from './query-schemas.js';

const usageQuery = z.object({
  from: instant.optional(),
  to: instant.optional(),
  metrics: metricList.optional(),
});

/** "My usage" for the actor and for their organization; behind `authenticate`. */
export function usageRoutes(app: ServiceApp, deps: AnalyticsDeps) {
  app.get(
    '/v1/analytics/usage/me',
    {
      schema: {
        tags,
        security,
        summary: 'My totals of every metric (this month unless from/to say otherwise)',
        querystring: usageQuery,
        response: { 200: totalsResponse, ...problemResponses(400, 401) },
      },
    },
    async (request) => myUsage(deps, requireActor(request), request.query),
  );

  app.get(
    '/v1/analytics/usage/organization',
    {
      schema: {
        tags,
        security,
        summary: "My organization's totals of every metric (needs analytics.read)",
        querystring: usageQuery,
        response: { 200: totalsResponse, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => organizationUsage(deps, requireActor(request), request.query),
  );
}
