import type { ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { AnalyticsDeps } from '../deps.js';
import {
  deliveryOutcomeDto,
  deliveryWorkDto,
  reportFormat,
  runStatus,
} from '../domain/metrics/deliveries/delivery-dto.js';
import {
  createReport,
  deleteReport,
  getReport,
  listReportRuns,
  listReports,
  sendReportNow,
  updateReport,
} from '../domain/metrics/reports/manage-reports.js';
import { deliveryWorkRoutes } from './metrics-delivery-work-routes.js';

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
  deliveryWorkRoutes(app, deps, {
    noun: 'report',
    plural: 'reports',
    tags: ['metrics: reports'],
    createFields: { format: reportFormat },
    changeFields: { format: reportFormat.optional() },
    dto: reportDto,
    savedDto: savedReportDto,
    summaries: {
      create: "Schedule a report of an exploration (in the exploration's team)",
      createDescription:
        'Deliveries to a webhook are POSTed as JSON, signed in the x-conduit-signature header (t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body"> with the webhookSecret answered here once).',
      list: "A team's reports",
      get: 'A report',
      delete: 'Delete a report and its runs',
    },
    verbs: {
      create: createReport,
      list: listReports,
      get: getReport,
      update: updateReport,
      remove: deleteReport,
    },
    trigger: {
      path: 'send',
      summary: 'Send a report now, outside its schedule (its run is recorded as manual)',
      run: sendReportNow,
    },
    history: {
      path: 'runs',
      summary: "A report's runs: status, rows, each target's delivery, time",
      dto: reportRunDto,
      list: listReportRuns,
    },
  });
}
