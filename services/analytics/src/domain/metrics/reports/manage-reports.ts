import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { type DeliveryTargets, type ReportFormat, reportRuns, reports } from '../../../db/delivery-schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import type { DeliveryWorkChanges } from '../deliveries/delivery-owner.js';
import { deliveryWorkVerbs } from '../deliveries/delivery-work.js';
import { type ReportRow, toReportDto, toReportRunDto } from './report-dto.js';

/** Reports: the shared verbs of delivered work (deliveries/delivery-work.ts) plus their format. */

export interface ReportInput {
  explorationId: string;
  name: string;
  schedule: string;
  timeZone: string;
  format: ReportFormat;
  delivery: DeliveryTargets;
  enabled?: boolean | undefined;
}

export type ReportChanges = Partial<Omit<ReportInput, 'explorationId'>> & DeliveryWorkChanges;

const work = deliveryWorkVerbs({
  noun: 'report',
  table: reports,
  tableName: 'reports',
  toDto: toReportDto,
  history: { table: reportRuns, of: reportRuns.reportId, toDto: toReportRunDto },
});

/** A report the actor may see, else not_found; forbidden when they may not manage it. */
export const findReport = (tx: Transaction, actor: Actor, id: string, action?: 'read' | 'manage') =>
  work.find(tx, actor, id, action) as Promise<ReportRow>;

/** Schedules a report of an exploration in its team; throws as the shared create does. */
export const createReport = (deps: AnalyticsDeps, actor: Actor, input: ReportInput) =>
  work.create(deps, actor, input, { format: input.format });

/** Changes a report and its schedule; throws as the shared update does. */
export const updateReport = (deps: AnalyticsDeps, actor: Actor, id: string, changes: ReportChanges) =>
  work.update(deps, actor, id, changes, (current) => ({ format: changes.format ?? current.format }));

/** Deletes a report, its runs and its schedule. Throws not_found / forbidden. */
export const deleteReport = work.remove;
export const getReport = work.get;
/** A team's reports, newest first. Throws not_found outside the team. */
export const listReports = work.list;
/** A report's runs, newest first. Throws not_found for a report the actor cannot see. */
export const listReportRuns = work.history;
/**
 * "Send now": queues a run of the report for this instant, outside its schedule (paused reports
 * too), with the same retries and record as a scheduled one. Throws not_found / forbidden.
 */
export const sendReportNow = work.runNow;
