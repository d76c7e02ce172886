import type { TeamRole } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { eq, sql } from 'drizzle-orm';
import { alertEvaluations, alerts } from '../../../db/delivery-schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { creatorAuthority } from '../deliveries/creator-authority.js';
import { deliver } from '../deliveries/deliver.js';
import { explorationOutput } from '../deliveries/exploration-output.js';
import { formatResult } from '../deliveries/format-result.js';
import { mailContent } from '../deliveries/mail-content.js';
import { teamWorkerActor } from '../deliveries/team-worker-actor.js';
import { workSchedulerId } from '../deliveries/work-scheduler.js';
import type { ExplorationResult } from '../explorations/exploration-result.js';
import { type TickJob, tickOf } from '../reports/run-report.js';
import {
  type Breach,
  boundsOf,
  breachSummary,
  evaluateConditions,
  nextAlertState,
} from './alert-conditions.js';
import type { AlertEvaluationRow, AlertRow } from './alert-dto.js';

const ABANDONED_AFTER = '10 minutes';

export interface EvaluateAlertPayload {
  alertId: string;
  teamId: string;
  tickAt?: string | undefined;
  /** "Test": evaluate and deliver a sample whatever the state, leaving the state as it is. */
  test?: boolean | undefined;
}

/**
 * One evaluation of an alert for one tick. Claims the (alert, tick) row as a report's run does;
 * runs the exploration; then, holding the alert's row, decides the state change and the notice
 * (nextAlertState) and records both with the evaluation, so two workers never both fire. The
 * notice (fired, reminder, resolved or test) is delivered with the chart and its bounds; a failed
 * delivery is recorded and thrown, and the job's next try delivers the recorded notice again
 * without evaluating anew. Answers what happened.
 */
export async function evaluateAlert(deps: AnalyticsDeps, payload: EvaluateAlertPayload, job?: TickJob) {
  const tickAt = payload.tickAt ? new Date(payload.tickAt) : tickOf(job);
  const trigger = payload.test ? 'test' : payload.tickAt ? 'manual' : 'schedule';
  const attempt = (job?.attemptsMade ?? 0) + 1;
  const worker = teamWorkerActor(payload.teamId);
  const claim = await asViewer(deps.db, worker, async (tx) => {
    const [alert] = await tx.select().from(alerts).where(eq(alerts.id, payload.alertId));
    if (!alert) return 'gone' as const;
    if (trigger === 'schedule' && !alert.enabled) return undefined;
    const [evaluation] = await tx
      .insert(alertEvaluations)
      .values({
        id: uuidv7(),
        alertId: alert.id,
        teamId: alert.teamId,
        tickAt,
        trigger,
        status: 'running',
        attempts: attempt,
      })
      .onConflictDoUpdate({
        target: [alertEvaluations.alertId, alertEvaluations.tickAt],
        set: { status: 'running', attempts: attempt, error: null, finishedAt: null },
        setWhere: sql`(${alertEvaluations.status} = 'failed' and ${alertEvaluations.attempts} < ${attempt})
          or (${alertEvaluations.status} = 'running' and ${alertEvaluations.startedAt} < now() - ${ABANDONED_AFTER}::interval)`,
      })
      .returning();
    return evaluation ? { alert, evaluation } : undefined;
  });
  if (claim === 'gone') {
    // Its exploration (and so the alert) was deleted: its schedule goes too.
    await deps.jobs.unschedule(workSchedulerId('alert', payload.alertId));
    return 'not evaluated: the alert is gone';
  }
  if (!claim) return 'not evaluated: paused, or this tick is another worker’s';
  const { alert, evaluation } = claim;
  const update = (changes: Partial<AlertEvaluationRow>) =>
    asViewer(deps.db, worker, (tx) =>
      tx.update(alertEvaluations).set(changes).where(eq(alertEvaluations.id, evaluation.id)),
    );

  let failure: string | undefined;
  try {
    const authority = await creatorAuthority(deps, alert);
    if ('pausedBecause' in authority) {
      await asViewer(deps.db, worker, async (tx) => {
        await tx
          .update(alertEvaluations)
          .set({ status: 'skipped', error: authority.pausedBecause, finishedAt: new Date() })
          .where(eq(alertEvaluations.id, evaluation.id));
        await tx
          .update(alerts)
          .set({ enabled: false, pausedReason: authority.pausedBecause, updatedAt: new Date() })
          .where(eq(alerts.id, alert.id));
      });
      return `skipped: ${authority.pausedBecause}`;
    }
    failure = await evaluateAndNotify(
      deps,
      { ...alert, delivery: authority.delivery, creatorRole: authority.role },
      evaluation,
    );
  } catch (error) {
    failure = `the alert could not be evaluated: ${(error as Error).message}`;
  }
  await update({ status: failure ? 'failed' : 'succeeded', error: failure ?? null, finishedAt: new Date() });
  if (failure) throw new Error(failure);
  return evaluation.id;
}

async function evaluateAndNotify(
  deps: AnalyticsDeps,
  alert: AlertRow & { creatorRole: TeamRole },
  evaluation: AlertEvaluationRow,
): Promise<string | undefined> {
  const { result, chart } = await explorationOutput(deps, {
    teamId: alert.teamId,
    userId: alert.userId,
    role: alert.creatorRole,
    organizationId: alert.organizationId,
    explorationId: alert.explorationId,
  });
  // A retry of a decided evaluation delivers what was decided; it does not decide again.
  const decided = evaluation.outcome === null ? await decide(deps, alert, evaluation, result) : evaluation;
  if (!decided.notified) return undefined;
  const formatted = await formatResult(result, {
    format: 'chart',
    title: alert.name,
    chart: chart === 'table' ? 'line' : chart,
    bounds: boundsOf(alert.conditions),
  });
  const payload = {
    type: 'alert',
    event: decided.notified,
    deliveryId: evaluation.id,
    alert: { id: alert.id, name: alert.name },
    explorationId: alert.explorationId,
    tickAt: evaluation.tickAt.toISOString(),
    state: decided.outcome,
    conditions: alert.conditions,
    breaches: decided.breaches,
    contentType: formatted.contentType,
    content: formatted.text,
    chartPng: formatted.png?.toString('base64'),
  };
  const { failure } = await deliver(deps, {
    table: 'alerts',
    targets: alert.delivery,
    sealedWebhookSecret: alert.sealedWebhookSecret,
    deliveryId: evaluation.id,
    subject: {
      kind: 'alert',
      sourceId: alert.id,
      teamId: alert.teamId,
      userId: alert.userId,
      orgId: alert.organizationId,
      name: alert.name,
      explorationId: alert.explorationId,
      tickAt: evaluation.tickAt,
      notice: decided.notified,
      result,
      breaches: decided.breaches as Record<string, unknown>[],
    },
    payload,
    mail: {
      subject: `Alert ${decided.notified}: ${alert.name}`,
      ...mailContent(result, {
        title: alert.name,
        introHtml: breachSummary(decided.breaches as Breach[]),
        chartPng: formatted.png,
      }),
    },
    done: evaluation.delivery,
    record: (tx, delivery) =>
      tx.update(alertEvaluations).set({ delivery }).where(eq(alertEvaluations.id, evaluation.id)),
  });
  return failure;
}

/**
 * Under the alert's row lock: the evaluation's outcome, the alert's next state and the notice,
 * written together. A test notifies without touching the state.
 */
async function decide(
  deps: AnalyticsDeps,
  alert: AlertRow,
  evaluation: AlertEvaluationRow,
  result: ExplorationResult,
) {
  const seen = evaluateConditions(result, alert.conditions);
  if (seen.missing.length > 0)
    throw new Error(`the exploration's result has no column ${seen.missing.map((c) => `"${c}"`).join(', ')}`);
  const breached = seen.breaches.length > 0;
  const now = new Date();
  return asViewer(deps.db, teamWorkerActor(alert.teamId), async (tx) => {
    const [current] = await tx.select().from(alerts).where(eq(alerts.id, alert.id)).for('update');
    if (!current) throw new Error('the alert is gone');
    const next =
      evaluation.trigger === 'test'
        ? { state: current.state, notice: 'test' as const }
        : nextAlertState(current, breached, now);
    if (evaluation.trigger !== 'test' && (next.state !== current.state || next.notice))
      await tx
        .update(alerts)
        .set({
          state: next.state,
          ...(next.state !== current.state ? { stateChangedAt: now } : {}),
          ...(next.notice ? { lastNotifiedAt: now } : {}),
        })
        .where(eq(alerts.id, alert.id));
    const [decided] = await tx
      .update(alertEvaluations)
      .set({ outcome: breached ? 'firing' : 'ok', notified: next.notice, breaches: seen.breaches })
      .where(eq(alertEvaluations.id, evaluation.id))
      .returning();
    return decided!;
  });
}
