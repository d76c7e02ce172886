import type { Actor } from '@conduit/contracts';
import { keysetPage } from '@conduit/db';
import { and, eq, getTableColumns } from 'drizzle-orm';
import { alertEvaluations } from '../../../db/delivery-schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { toAlertEvaluationDto } from './alert-dto.js';
import { findAlert } from './manage-alerts.js';

/** An alert's evaluations, newest first. Throws not_found for an alert the actor cannot see. */
export function listAlertEvaluations(
  deps: AnalyticsDeps,
  actor: Actor,
  alertId: string,
  query: { limit: number; cursor?: string | undefined },
) {
  const page = keysetPage({ by: [alertEvaluations.startedAt, alertEvaluations.id], order: 'desc' }, query);
  return asViewer(deps.db, actor, async (tx) => {
    await findAlert(tx, actor, alertId);
    const rows = await tx
      .select({ ...getTableColumns(alertEvaluations), pageKey: page.key })
      .from(alertEvaluations)
      .where(and(eq(alertEvaluations.alertId, alertId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toAlertEvaluationDto);
  });
}

/**
 * "Test": queues an evaluation that delivers a sample (the current values, breaches and chart)
 * whatever the alert's state, and changes no state. Throws not_found / forbidden.
 */
export async function testAlert(deps: AnalyticsDeps, actor: Actor, alertId: string) {
  const alert = await asViewer(deps.db, actor, (tx) => findAlert(tx, actor, alertId, 'manage'));
  const tickAt = new Date().toISOString();
  await deps.jobs.add(
    'evaluate-alert',
    { alertId: alert.id, teamId: alert.teamId, tickAt, test: true },
    { jobId: `alert-test:${alert.id}:${Date.parse(tickAt)}` },
  );
  return { alertId: alert.id, tickAt };
}
