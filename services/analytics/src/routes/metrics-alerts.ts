import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { AnalyticsDeps } from '../deps.js';
import { listAlertEvaluations, testAlert } from '../domain/metrics/alerts/alert-evaluations.js';
import {
  createAlert,
  deleteAlert,
  getAlert,
  listAlerts,
  updateAlert,
} from '../domain/metrics/alerts/manage-alerts.js';
import {
  delivery,
  deliveryOutcomeDto,
  deliveryWorkDto,
  queuedRunDto,
  runStatus,
  schedule,
  timeZone,
  workName,
} from './metrics-delivery-schemas.js';

const tags = ['metrics: alerts'];
const params = z.object({ alertId: z.uuid() });

/** Bounds on a measure column of the exploration's result, or a change in percent either way. */
const condition = z
  .object({
    column: storableText(300).min(1),
    lower: z.number().finite().optional(),
    upper: z.number().finite().optional(),
    changePercent: z.number().finite().positive().optional(),
  })
  .strict()
  .refine((c) => c.lower !== undefined || c.upper !== undefined || c.changePercent !== undefined, {
    message: 'a condition needs lower, upper or changePercent',
  })
  .refine((c) => c.lower === undefined || c.upper === undefined || c.lower <= c.upper, {
    message: 'lower must not be above upper',
  });
const conditions = z.array(condition).min(1).max(20);
const reminderIntervalSeconds = z
  .number()
  .int()
  .min(60)
  .max(30 * 24 * 3600)
  .nullable();

const alertDto = deliveryWorkDto.extend({
  conditions: z.array(
    z.object({
      column: z.string(),
      lower: z.number().optional(),
      upper: z.number().optional(),
      changePercent: z.number().optional(),
    }),
  ),
  reminderIntervalSeconds: z.number().int().nullable(),
  state: z.enum(['ok', 'firing']),
  stateChangedAt: z.string().nullable(),
  lastNotifiedAt: z.string().nullable(),
});
const savedAlertDto = alertDto.extend({ webhookSecret: z.string().optional() });

const evaluationDto = z.object({
  id: z.uuid(),
  alertId: z.uuid(),
  tickAt: z.string(),
  trigger: z.enum(['schedule', 'manual', 'test']),
  status: runStatus,
  attempts: z.number().int(),
  outcome: z.enum(['ok', 'firing']).nullable(),
  notified: z.enum(['fired', 'reminder', 'resolved', 'test']).nullable(),
  breaches: z.array(z.unknown()),
  delivery: deliveryOutcomeDto,
  error: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});

/** Alerts on explorations' measures, their evaluations and "test"; behind `authenticate`. */
export function metricsAlertRoutes(app: ServiceApp, deps: AnalyticsDeps) {
  const route = routeGroup(app, { tags });
  route.post(
    '/v1/metrics/alerts',
    {
      summary: "Watch an exploration's measures (in the exploration's team)",
      description:
        'Fires once when a condition is broken, stays quiet while it stays broken (unless reminderIntervalSeconds is set), and delivers `resolved` once when it is back. Webhook deliveries are signed as reports’ are.',
      body: z
        .object({
          explorationId: z.uuid(),
          name: workName,
          schedule,
          timeZone: timeZone.default('UTC'),
          conditions,
          delivery,
          reminderIntervalSeconds: reminderIntervalSeconds.optional(),
          enabled: z.boolean().optional(),
        })
        .strict(),
      status: 201,
      response: savedAlertDto,
      problems: [400, 401, 403, 404, 422, 502],
    },
    (request) => createAlert(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/metrics/alerts',
    {
      summary: "A team's alerts with their state",
      querystring: pageQuery.extend({ teamId: z.uuid() }),
      response: pageOf(alertDto),
      problems: [400, 401, 404],
    },
    (request) => listAlerts(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/metrics/alerts/:alertId',
    { summary: 'An alert with its state', params, response: alertDto, problems: [400, 401, 404] },
    (request) => getAlert(deps, requireActor(request), request.params.alertId),
  );

  route.patch(
    '/v1/metrics/alerts/:alertId',
    {
      summary: 'Change an alert (a new webhook URL or rotateWebhookSecret answers a new secret, once)',
      params,
      body: z
        .object({
          name: workName.optional(),
          schedule: schedule.optional(),
          timeZone: timeZone.optional(),
          conditions: conditions.optional(),
          delivery: delivery.optional(),
          reminderIntervalSeconds: reminderIntervalSeconds.optional(),
          enabled: z.boolean().optional(),
          rotateWebhookSecret: z.boolean().optional(),
        })
        .strict(),
      response: savedAlertDto,
      problems: [400, 401, 403, 404, 422, 502],
    },
    (request) => updateAlert(deps, requireActor(request), request.params.alertId, request.body),
  );

  route.delete(
    '/v1/metrics/alerts/:alertId',
    { summary: 'Delete an alert and its evaluations', params, status: 204, problems: [400, 401, 403, 404] },
    (request) => deleteAlert(deps, requireActor(request), request.params.alertId),
  );

  route.post(
    '/v1/metrics/alerts/:alertId/test',
    {
      summary: 'Deliver a sample of the alert now (current values and chart), without changing its state',
      params,
      status: 202,
      response: queuedRunDto,
      problems: [400, 401, 403, 404],
    },
    (request) => testAlert(deps, requireActor(request), request.params.alertId),
  );

  route.get(
    '/v1/metrics/alerts/:alertId/evaluations',
    {
      summary: "An alert's evaluations: outcome, what it delivered, each target's result",
      params,
      querystring: pageQuery,
      response: pageOf(evaluationDto),
      problems: [400, 401, 404],
    },
    (request) => listAlertEvaluations(deps, requireActor(request), request.params.alertId, request.query),
  );
}
