import type { Actor } from '@conduit/contracts';
import { keysetPage, type Transaction, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns } from 'drizzle-orm';
import { type DeliveryTargets, type ReportFormat, reports } from '../../../db/delivery-schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { changedWorkColumns, checkWebhookTarget, newWorkColumns } from '../deliveries/delivery-owner.js';
import { findExploration } from '../explorations/find-exploration.js';
import { checkTeamAccess } from '../team-access.js';
import { type ReportRow, toReportDto } from './report-dto.js';
import { reportSchedulerId, syncReportScheduler } from './report-scheduler.js';

export interface ReportInput {
  explorationId: string;
  name: string;
  schedule: string;
  timeZone: string;
  format: ReportFormat;
  delivery: DeliveryTargets;
  enabled?: boolean | undefined;
}

/** A report the actor may see, else not_found; forbidden when they may not manage it. */
export async function findReport(
  tx: Transaction,
  actor: Actor,
  id: string,
  action: 'read' | 'manage' = 'read',
): Promise<ReportRow> {
  const [row] = await tx.select().from(reports).where(eq(reports.id, id));
  if (!row) throw new DomainError('not_found', 'No such report.');
  checkTeamAccess(actor, row.teamId, 'read', 'report');
  if (action === 'manage') checkTeamAccess(actor, row.teamId, 'manage', 'report');
  return row;
}

/**
 * Creates a scheduled report of an exploration, in the exploration's team, and schedules it. A
 * webhook target gets a signing secret, answered this once. Throws not_found for an exploration
 * the actor cannot see, forbidden unless they manage its team, unprocessable for a schedule,
 * time zone or webhook host that cannot be used.
 */
export async function createReport(deps: AnalyticsDeps, actor: Actor, input: ReportInput) {
  await checkWebhookTarget(deps, input.delivery);
  const id = uuidv7();
  const { row, secret } = await asViewer(deps.db, actor, async (tx) => {
    const exploration = await findExploration(tx, actor, input.explorationId);
    checkTeamAccess(actor, exploration.teamId, 'manage');
    const work = await newWorkColumns(
      deps,
      actor,
      { table: 'reports', id, teamId: exploration.teamId },
      input,
    );
    const [created] = await tx
      .insert(reports)
      .values({ ...work.columns, explorationId: exploration.id, format: input.format })
      .returning();
    return { row: created!, secret: work.secret };
  });
  await syncReportScheduler(deps.jobs, row);
  return { ...toReportDto(row), ...(secret ? { webhookSecret: secret } : {}) };
}

export type ReportChanges = Partial<Omit<ReportInput, 'explorationId'>> & { rotateWebhookSecret?: boolean };

/**
 * Changes a report and its schedule. A new webhook URL (or rotateWebhookSecret) makes a new
 * secret, answered this once. Throws as createReport does, and not_found for a report the actor
 * cannot see.
 */
export async function updateReport(deps: AnalyticsDeps, actor: Actor, id: string, changes: ReportChanges) {
  await checkWebhookTarget(deps, changes.delivery);
  const { row, secret } = await asViewer(deps.db, actor, async (tx) => {
    const current = await findReport(tx, actor, id, 'manage');
    const work = await changedWorkColumns(deps, actor, 'reports', current, changes);
    const [updated] = await tx
      .update(reports)
      .set({ ...work.columns, format: changes.format ?? current.format })
      .where(eq(reports.id, id))
      .returning();
    return { row: updated!, secret: work.secret };
  });
  await syncReportScheduler(deps.jobs, row);
  return { ...toReportDto(row), ...(secret ? { webhookSecret: secret } : {}) };
}

/** Deletes a report, its runs and its schedule. Throws not_found / forbidden. */
export async function deleteReport(deps: AnalyticsDeps, actor: Actor, id: string) {
  await asViewer(deps.db, actor, async (tx) => {
    await findReport(tx, actor, id, 'manage');
    await tx.delete(reports).where(eq(reports.id, id));
  });
  await deps.jobs.unschedule(reportSchedulerId(id));
}

export function getReport(deps: AnalyticsDeps, actor: Actor, id: string) {
  return asViewer(deps.db, actor, async (tx) => toReportDto(await findReport(tx, actor, id)));
}

/** A team's reports, newest first. Throws not_found outside the team. */
export function listReports(
  deps: AnalyticsDeps,
  actor: Actor,
  query: { teamId: string; limit: number; cursor?: string | undefined },
) {
  checkTeamAccess(actor, query.teamId, 'read');
  const page = keysetPage({ by: [reports.createdAt, reports.id], order: 'desc' }, query);
  return asViewer(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(reports), pageKey: page.key })
      .from(reports)
      .where(and(eq(reports.teamId, query.teamId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toReportDto);
  });
}
