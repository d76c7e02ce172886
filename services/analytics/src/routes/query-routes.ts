import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { AnalyticsDeps } from '../deps.js';
import { type MetricName, metricDescriptions, metricNames } from '../domain/events/metrics.js';
import { listEvents } from '../domain/queries/event-log.js';
import { instant, metricList, metricSchema, rangeQuery, scopeQuery } from '../domain/queries/query-params.js';
import { groupings } from '../domain/queries/rollup-filters.js';
import { intervals } from '../domain/queries/time-range.js';
import { timeSeries } from '../domain/queries/time-series.js';
import { topGroups, totals } from '../domain/queries/totals.js';

const seriesResponse = z.object({
  metric: metricSchema,
  interval: z.enum(intervals),
  tz: z.string(),
  from: z.string(),
  to: z.string(),
  groupBy: z.enum(groupings).nullable(),
  series: z.array(
    z.object({
      group: z.string().nullable(),
      total: z.number(),
      points: z.array(z.object({ start: z.string(), local: z.string(), value: z.number() })),
    }),
  ),
});

const totalsResponse = z.object({
  from: z.string(),
  to: z.string(),
  totals: z.record(z.string(), z.number()),
});

const eventDto = z.object({
  id: z.uuid(),
  eventType: z.string(),
  source: z.string(),
  occurredAt: z.string(),
  receivedAt: z.string(),
  organizationId: z.uuid().nullable(),
  userId: z.uuid().nullable(),
  teamId: z.uuid().nullable(),
  botId: z.uuid().nullable(),
  sessionId: z.uuid().nullable(),
  workflowId: z.uuid().nullable(),
  collectionId: z.uuid().nullable(),
  accountId: z.uuid().nullable(),
  metrics: z.record(z.string(), z.number()),
  data: z.record(z.string(), z.unknown()),
  clockSkewed: z.boolean(),
});

/** Series, totals, top lists, the event log and the metric catalog; behind `authenticate`. */
export function queryRoutes(app: ServiceApp, deps: AnalyticsDeps) {
  const route = routeGroup(app, { tags: ['analytics'] });
  route.get(
    '/v1/analytics/metrics',
    {
      summary: 'The metrics analytics counts',
      response: z.object({ items: z.array(z.object({ name: metricSchema, description: z.string() })) }),
      problems: [401],
    },
    async () => ({
      items: metricNames.map((name: MetricName) => ({ name, description: metricDescriptions[name] })),
    }),
  );

  route.get(
    '/v1/analytics/series',
    {
      summary: "A metric over time in the viewer's time zone, missing periods as zeros",
      querystring: scopeQuery.extend(rangeQuery.shape).extend({
        metric: metricSchema,
        interval: z.enum(intervals).default('day'),
        tz: z.string().max(64).default('UTC'),
        groupBy: z.enum(groupings).optional(),
        groups: z.coerce.number().int().min(1).max(50).default(10),
      }),
      response: seriesResponse,
      problems: [400, 401, 403, 404],
    },
    (request) => timeSeries(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/analytics/totals',
    {
      summary: 'The total of each metric over a range',
      querystring: scopeQuery.extend(rangeQuery.shape).extend({ metrics: metricList.optional() }),
      response: totalsResponse,
      problems: [400, 401, 403, 404],
    },
    (request) => totals(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/analytics/top',
    {
      summary: 'The bots, workflows, users, ... with the largest total of a metric',
      querystring: scopeQuery.extend(rangeQuery.shape).extend({
        metric: metricSchema,
        by: z.enum(groupings),
        limit: z.coerce.number().int().min(1).max(100).default(10),
      }),
      response: z.object({
        metric: metricSchema,
        by: z.enum(groupings),
        from: z.string(),
        to: z.string(),
        items: z.array(z.object({ id: z.string(), value: z.number() })),
      }),
      problems: [400, 401, 403, 404],
    },
    (request) => topGroups(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/analytics/events',
    {
      summary: 'The recorded events, newest first',
      querystring: pageQuery.extend(scopeQuery.shape).extend({
        from: instant.optional(),
        to: instant.optional(),
        eventType: z.string().max(200).optional(),
        source: z.string().max(100).optional(),
        botId: z.uuid().optional(),
        sessionId: z.uuid().optional(),
        workflowId: z.uuid().optional(),
        collectionId: z.uuid().optional(),
        accountId: z.uuid().optional(),
      }),
      response: pageOf(eventDto),
      problems: [400, 401, 403, 404],
    },
    (request) => listEvents(deps, requireActor(request), request.query),
  );
}

export { totalsResponse };
