import type { ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { AnalyticsDeps } from '../deps.js';
import {
  createReport,
  deleteReport,
  getReport,
  listReports,
  type ReportChanges,
  type ReportInput,
  updateReport,
} from '../domain/metrics/reports/manage-reports.js';
import { listReportRuns, sendReportNow } from '../domain/metrics/reports/report-runs.js';
import { deliveryOutcomeDto, deliveryWorkDto, reportFormat, runStatus } from './metrics-delivery-schemas.js';
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
  deliveryWorkRoutes(app, {
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
      create: (actor, body) => createReport(deps, actor, body as unknown as ReportInput),
      list: (actor, query) => listReports(deps, actor, query),
      get: (actor, id) => getReport(deps, actor, id),
      update: (actor, id, body) => updateReport(deps, actor, id, body as ReportChanges),
      remove: (actor, id) => deleteReport(deps, actor, id),
    },
    trigger: {
      path: 'send',
      summary: 'Send a report now, outside its schedule (its run is recorded as manual)',
      run: (actor, id) => sendReportNow(deps, actor, id),
    },
    history: {
      path: 'runs',
      summary: "A report's runs: status, rows, each target's delivery, time",
      dto: reportRunDto,
      list: (actor, id, query) => listReportRuns(deps, actor, id, query),
    },
  });
}
