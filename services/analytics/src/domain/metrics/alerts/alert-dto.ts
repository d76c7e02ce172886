import type { alertEvaluations, alerts } from '../../../db/delivery-schema.js';
import { deliveryWorkDto } from '../deliveries/delivery-owner.js';

export type AlertRow = typeof alerts.$inferSelect;
export type AlertEvaluationRow = typeof alertEvaluations.$inferSelect;

/** An alert as answers show it: never its webhook secret. */
export const toAlertDto = (row: AlertRow) => ({
  ...deliveryWorkDto(row),
  conditions: row.conditions,
  reminderIntervalSeconds: row.reminderIntervalSeconds,
  state: row.state,
  stateChangedAt: row.stateChangedAt?.toISOString() ?? null,
  lastNotifiedAt: row.lastNotifiedAt?.toISOString() ?? null,
});

export const toAlertEvaluationDto = (row: AlertEvaluationRow) => ({
  id: row.id,
  alertId: row.alertId,
  tickAt: row.tickAt.toISOString(),
  trigger: row.trigger,
  status: row.status,
  attempts: row.attempts,
  outcome: row.outcome,
  notified: row.notified,
  breaches: row.breaches,
  delivery: row.delivery,
  error: row.error,
  startedAt: row.startedAt.toISOString(),
  finishedAt: row.finishedAt?.toISOString() ?? null,
});
