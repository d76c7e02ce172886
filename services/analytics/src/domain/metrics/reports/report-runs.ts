import type { Actor } from '@conduit/contracts';
import { keysetPage } from '@conduit/db';
import { and, eq, getTableColumns } from 'drizzle-orm';
import { reportRuns } from '../../../db/delivery-schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { findReport } from './manage-reports.js';
import { toReportRunDto } from './report-dto.js';

/** A report's runs, newest first. Throws not_found for a report the actor cannot see. */
export function listReportRuns(
  deps: AnalyticsDeps,
  actor: Actor,
  reportId: string,
  query: { limit: number; cursor?: string | undefined },
) {
  const page = keysetPage({ by: [reportRuns.startedAt, reportRuns.id], order: 'desc' }, query);
  return asViewer(deps.db, actor, async (tx) => {
    await findReport(tx, actor, reportId);
    const rows = await tx
      .select({ ...getTableColumns(reportRuns), pageKey: page.key })
      .from(reportRuns)
      .where(and(eq(reportRuns.reportId, reportId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toReportRunDto);
  });
}

/**
 * "Send now": queues a run of the report for this instant, outside its schedule (paused reports
 * too), with the same retries and record as a scheduled one. Throws not_found / forbidden.
 */
export async function sendReportNow(deps: AnalyticsDeps, actor: Actor, reportId: string) {
  const report = await asViewer(deps.db, actor, (tx) => findReport(tx, actor, reportId, 'manage'));
  const tickAt = new Date().toISOString();
  await deps.jobs.add(
    'run-report',
    { reportId: report.id, teamId: report.teamId, tickAt },
    { jobId: `report-now:${report.id}:${Date.parse(tickAt)}` },
  );
  return { reportId: report.id, tickAt };
}
