import type { Actor } from '@conduit/contracts';
import { keysetPage, type Transaction, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns } from 'drizzle-orm';
import { type AlertCondition, alerts, type DeliveryTargets } from '../../../db/delivery-schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { changedWorkColumns, checkWebhookTarget, newWorkColumns } from '../deliveries/delivery-owner.js';
import { findExploration } from '../explorations/find-exploration.js';
import { checkTeamAccess } from '../team-access.js';
import { type AlertRow, toAlertDto } from './alert-dto.js';
import { alertSchedulerId, syncAlertScheduler } from './alert-scheduler.js';

export interface AlertInput {
  explorationId: string;
  name: string;
  schedule: string;
  timeZone: string;
  conditions: AlertCondition[];
  delivery: DeliveryTargets;
  reminderIntervalSeconds?: number | null | undefined;
  enabled?: boolean | undefined;
}

/** An alert the actor may see, else not_found; forbidden when they may not manage it. */
export async function findAlert(
  tx: Transaction,
  actor: Actor,
  id: string,
  action: 'read' | 'manage' = 'read',
): Promise<AlertRow> {
  const [row] = await tx.select().from(alerts).where(eq(alerts.id, id));
  if (!row) throw new DomainError('not_found', 'No such alert.');
  checkTeamAccess(actor, row.teamId, 'read', 'alert');
  if (action === 'manage') checkTeamAccess(actor, row.teamId, 'manage', 'alert');
  return row;
}

/**
 * Creates an alert on an exploration's measures, in the exploration's team, and schedules its
 * evaluations. A webhook target gets a signing secret, answered this once. Throws not_found for
 * an exploration the actor cannot see, forbidden unless they manage its team, unprocessable for a
 * schedule, time zone or webhook host that cannot be used.
 */
export async function createAlert(deps: AnalyticsDeps, actor: Actor, input: AlertInput) {
  await checkWebhookTarget(deps, input.delivery);
  const id = uuidv7();
  const { row, secret } = await asViewer(deps.db, actor, async (tx) => {
    const exploration = await findExploration(tx, actor, input.explorationId);
    checkTeamAccess(actor, exploration.teamId, 'manage');
    const work = await newWorkColumns(
      deps,
      actor,
      { table: 'alerts', id, teamId: exploration.teamId },
      input,
    );
    const [created] = await tx
      .insert(alerts)
      .values({
        ...work.columns,
        explorationId: exploration.id,
        conditions: input.conditions,
        reminderIntervalSeconds: input.reminderIntervalSeconds ?? null,
      })
      .returning();
    return { row: created!, secret: work.secret };
  });
  await syncAlertScheduler(deps.jobs, row);
  return { ...toAlertDto(row), ...(secret ? { webhookSecret: secret } : {}) };
}

export type AlertChanges = Partial<Omit<AlertInput, 'explorationId'>> & { rotateWebhookSecret?: boolean };

/** Changes an alert and its schedule (its state stays). Throws as createAlert does. */
export async function updateAlert(deps: AnalyticsDeps, actor: Actor, id: string, changes: AlertChanges) {
  await checkWebhookTarget(deps, changes.delivery);
  const { row, secret } = await asViewer(deps.db, actor, async (tx) => {
    const current = await findAlert(tx, actor, id, 'manage');
    const work = await changedWorkColumns(deps, actor, 'alerts', current, changes);
    const [updated] = await tx
      .update(alerts)
      .set({
        ...work.columns,
        conditions: changes.conditions ?? current.conditions,
        reminderIntervalSeconds:
          changes.reminderIntervalSeconds === undefined
            ? current.reminderIntervalSeconds
            : changes.reminderIntervalSeconds,
      })
      .where(eq(alerts.id, id))
      .returning();
    return { row: updated!, secret: work.secret };
  });
  await syncAlertScheduler(deps.jobs, row);
  return { ...toAlertDto(row), ...(secret ? { webhookSecret: secret } : {}) };
}

/** Deletes an alert, its evaluations and its schedule. Throws not_found / forbidden. */
export async function deleteAlert(deps: AnalyticsDeps, actor: Actor, id: string) {
  await asViewer(deps.db, actor, async (tx) => {
    await findAlert(tx, actor, id, 'manage');
    await tx.delete(alerts).where(eq(alerts.id, id));
  });
  await deps.jobs.unschedule(alertSchedulerId(id));
}

export function getAlert(deps: AnalyticsDeps, actor: Actor, id: string) {
  return asViewer(deps.db, actor, async (tx) => toAlertDto(await findAlert(tx, actor, id)));
}

/** A team's alerts, newest first. Throws not_found outside the team. */
export function listAlerts(
  deps: AnalyticsDeps,
  actor: Actor,
  query: { teamId: string; limit: number; cursor?: string | undefined },
) {
  checkTeamAccess(actor, query.teamId, 'read');
  const page = keysetPage({ by: [alerts.createdAt, alerts.id], order: 'desc' }, query);
  return asViewer(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(alerts), pageKey: page.key })
      .from(alerts)
      .where(and(eq(alerts.teamId, query.teamId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toAlertDto);
  });
}
