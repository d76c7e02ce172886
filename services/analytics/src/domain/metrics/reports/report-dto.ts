import type { reportRuns, reports } from '../../../db/delivery-schema.js';
import { deliveryWorkDto } from '../deliveries/delivery-owner.js';

export type ReportRow = typeof reports.$inferSelect;
export type ReportRunRow = typeof reportRuns.$inferSelect;

/** A report as answers show it: where it delivers, never its webhook secret. */
export const toReportDto = (row: ReportRow) => ({ ...deliveryWorkDto(row), format: row.format });

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
