import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { AnalyticsDeps } from '../deps.js';
import {
  createReport,
  deleteReport,
  getReport,
  listReports,
  updateReport,
} from '../domain/metrics/reports/manage-reports.js';
import { listReportRuns, sendReportNow } from '../domain/metrics/reports/report-runs.js';
import {
  delivery,
  deliveryOutcomeDto,
  deliveryWorkDto,
  queuedRunDto,
  reportFormat,
  runStatus,
  schedule,
  timeZone,
  workName,
} from './metrics-delivery-schemas.js';

const tags = ['metrics: reports'];
const params = z.object({ reportId: z.uuid() });

const reportDto = deliveryWorkDto.extend({ format: reportFormat });
/** Create and update answers: a new webhook signing secret is shown here, once. */
const savedReportDto = reportDto.extend({ webhookSecret: z.string().optional() });

const reportRunDto = z.object({
  id: z.uuid(),
  reportId: z.uuid(),
  tickAt: z.string(),
  trigger: z.enum(['schedule', 'manual']),
  status: runStatus,
  attempts: z.number().int(),
  rowCount: z.number().int().nullable(),
  delivery: deliveryOutcomeDto,
  error: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});

/** Scheduled reports of explorations, their runs and "send now"; behind `authenticate`. */
export function metricsReportRoutes(app: ServiceApp, deps: AnalyticsDeps) {
  const route = routeGroup(app, { tags });
  route.post(
    '/v1/metrics/reports',
    {
      summary: "Schedule a report of an exploration (in the exploration's team)",
      description:
        'Deliveries to a webhook are POSTed as JSON, signed in the x-conduit-signature header (t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body"> with the webhookSecret answered here once).',
      body: z
        .object({
          explorationId: z.uuid(),
          name: workName,
          schedule,
          timeZone: timeZone.default('UTC'),
          format: reportFormat,
          delivery,
          enabled: z.boolean().optional(),
        })
        .strict(),
      status: 201,
      response: savedReportDto,
      problems: [400, 401, 403, 404, 422, 502],
    },
    (request) => createReport(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/metrics/reports',
    {
      summary: "A team's reports",
      querystring: pageQuery.extend({ teamId: z.uuid() }),
      response: pageOf(reportDto),
      problems: [400, 401, 404],
    },
    (request) => listReports(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/metrics/reports/:reportId',
    { summary: 'A report', params, response: reportDto, problems: [400, 401, 404] },
    (request) => getReport(deps, requireActor(request), request.params.reportId),
  );

  route.patch(
    '/v1/metrics/reports/:reportId',
    {
      summary: 'Change a report (a new webhook URL or rotateWebhookSecret answers a new secret, once)',
      params,
      body: z
        .object({
          name: workName.optional(),
          schedule: schedule.optional(),
          timeZone: timeZone.optional(),
          format: reportFormat.optional(),
          delivery: delivery.optional(),
          enabled: z.boolean().optional(),
          rotateWebhookSecret: z.boolean().optional(),
        })
        .strict(),
      response: savedReportDto,
      problems: [400, 401, 403, 404, 422, 502],
    },
    (request) => updateReport(deps, requireActor(request), request.params.reportId, request.body),
  );

  route.delete(
    '/v1/metrics/reports/:reportId',
    { summary: 'Delete a report and its runs', params, status: 204, problems: [400, 401, 403, 404] },
    (request) => deleteReport(deps, requireActor(request), request.params.reportId),
  );

  route.post(
    '/v1/metrics/reports/:reportId/send',
    {
      summary: 'Send a report now, outside its schedule (its run is recorded as manual)',
      params,
      status: 202,
      response: queuedRunDto,
      problems: [400, 401, 403, 404],
    },
    (request) => sendReportNow(deps, requireActor(request), request.params.reportId),
  );

  route.get(
    '/v1/metrics/reports/:reportId/runs',
    {
      summary: "A report's runs: status, rows, each target's delivery, time",
      params,
      querystring: pageQuery,
      response: pageOf(reportRunDto),
      problems: [400, 401, 404],
    },
    (request) => listReportRuns(deps, requireActor(request), request.params.reportId, request.query),
  );
}
