import { storableText } from '@conduit/contracts';
import type { ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { AnalyticsDeps } from '../deps.js';
import {
  createAlert,
  deleteAlert,
  getAlert,
  listAlertEvaluations,
  listAlerts,
  testAlert,
  updateAlert,
} from '../domain/metrics/alerts/manage-alerts.js';
import { deliveryOutcomeDto, deliveryWorkDto, runStatus } from '../domain/metrics/deliveries/delivery-dto.js';
import { deliveryWorkRoutes } from './metrics-delivery-work-routes.js';

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
  deliveryWorkRoutes(app, deps, {
    noun: 'alert',
    plural: 'alerts',
    tags: ['metrics: alerts'],
    createFields: { conditions, reminderIntervalSeconds: reminderIntervalSeconds.optional() },
    changeFields: {
      conditions: conditions.optional(),
      reminderIntervalSeconds: reminderIntervalSeconds.optional(),
    },
    dto: alertDto,
    savedDto: savedAlertDto,
    summaries: {
      create: "Watch an exploration's measures (in the exploration's team)",
      createDescription:
        'Fires once when a condition is broken, stays quiet while it stays broken (unless reminderIntervalSeconds is set), and delivers `resolved` once when it is back. Webhook deliveries are signed as reports’ are.',
      list: "A team's alerts with their state",
      get: 'An alert with its state',
      delete: 'Delete an alert and its evaluations',
    },
    verbs: { create: createAlert, list: listAlerts, get: getAlert, update: updateAlert, remove: deleteAlert },
    trigger: {
      path: 'test',
      summary: 'Deliver a sample of the alert now (current values and chart), without changing its state',
      run: testAlert,
    },
    history: {
      path: 'evaluations',
      summary: "An alert's evaluations: outcome, what it delivered, each target's result",
      dto: evaluationDto,
      list: listAlertEvaluations,
    },
  });
}
