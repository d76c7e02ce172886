import type { reportRuns, reports } from '../../../db/delivery-schema.js';

export type ReportRow = typeof reports.$inferSelect;
export type ReportRunRow = typeof reportRuns.$inferSelect;

/** A report as answers show it: where it delivers, never its webhook secret. */
export const toReportDto = (row: ReportRow) => ({
  id: row.id,
  teamId: row.teamId,
  explorationId: row.explorationId,
  name: row.name,
  schedule: row.schedule,
  timeZone: row.timeZone,
  format: row.format,
  delivery: {
    webhookUrl: row.delivery.webhookUrl ?? null,
    emailTo: row.delivery.emailTo ?? [],
    workflow: row.delivery.workflow ?? false,
  },
  hasWebhookSecret: row.sealedWebhookSecret !== null,
  enabled: row.enabled,
  pausedReason: row.pausedReason,
  createdBy: row.userId,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

export const toReportRunDto = (row: ReportRunRow) => ({
  id: row.id,
  reportId: row.reportId,
  tickAt: row.tickAt.toISOString(),
  trigger: row.trigger,
  status: row.status,
  attempts: row.attempts,
  rowCount: row.rowCount,
  delivery: row.delivery,
  error: row.error,
  startedAt: row.startedAt.toISOString(),
  finishedAt: row.finishedAt?.toISOString() ?? null,
});
