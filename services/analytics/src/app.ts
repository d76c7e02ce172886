import { identityVerifier, registerProtectedRoutes } from '@conduit/auth';
import { buildService, type ReadinessChecks, type ServiceApp } from '@conduit/service-kit';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { AnalyticsDeps } from './deps.js';
import { addConsumerLagDetails, consumerLagReadiness } from './health/consumer-lag.js';
import { metricsRoute } from './metrics/metrics-route.js';
import { clientEventRoutes } from './routes/client-event-routes.js';
import { metricsAlertRoutes } from './routes/metrics-alerts.js';
import { metricsChartRoutes } from './routes/metrics-charts.js';
import { metricsDataschemaRoutes } from './routes/metrics-dataschema-routes.js';
import { metricsDatasourceRoutes } from './routes/metrics-datasource-routes.js';
import { metricsExplorationRoutes } from './routes/metrics-exploration-routes.js';
import { metricsReportRoutes } from './routes/metrics-reports.js';
import { metricsSqlCredentialRoutes } from './routes/metrics-sql-credentials.js';
import { queryRoutes } from './routes/query-routes.js';
import { usageRoutes } from './routes/usage-routes.js';

/** Analytics' HTTP surface; nothing listens here (server.ts does, tests inject). */
export async function buildApp(deps: AnalyticsDeps, readiness: ReadinessChecks = {}): Promise<ServiceApp> {
  const app = await buildService({
    name: 'analytics',
    description: 'Events recorded once, exact usage counters, time series in the viewer’s time zone',
    logger: deps.log,
    readiness: { ...readiness, ...consumerLagReadiness(deps) },
    trustProxy: deps.env.TRUST_PROXY,
  });
  addConsumerLagDetails(app, deps);
  metricsRoute(app, deps);
  // Only the routes that ask for it (client events), counted per user after authentication.
  await (app as unknown as FastifyInstance).register(rateLimit, {
    global: false,
    redis: deps.redis,
    nameSpace: 'rate:',
    hook: 'preHandler',
    keyGenerator: (request) => `user:${request.auth?.actor.userId ?? request.ip}`,
  });

  await registerProtectedRoutes(app, identityVerifier(deps.verifier, deps.env.IDENTITY_URL), (routes) => {
    queryRoutes(routes, deps);
    usageRoutes(routes, deps);
    clientEventRoutes(routes, deps);
    metricsDatasourceRoutes(routes, deps);
    metricsDataschemaRoutes(routes, deps);
    metricsExplorationRoutes(routes, deps);
    metricsSqlCredentialRoutes(routes, deps);
    metricsChartRoutes(routes, deps);
    metricsReportRoutes(routes, deps);
    metricsAlertRoutes(routes, deps);
  });
  return app;
}
