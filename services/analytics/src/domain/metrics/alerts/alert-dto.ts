import type { alertEvaluations, alerts } from '../../../db/delivery-schema.js';

export type AlertRow = typeof alerts.$inferSelect;
export type AlertEvaluationRow = typeof alertEvaluations.$inferSelect;

/** An alert as answers show it: never its webhook secret. */
export const toAlertDto = (row: AlertRow) => ({
  id: row.id,
  teamId: row.teamId,
  explorationId: row.explorationId,
  name: row.name,
  schedule: row.schedule,
  timeZone: row.timeZone,
  conditions: row.conditions,
  delivery: {
    webhookUrl: row.delivery.webhookUrl ?? null,
    emailTo: row.delivery.emailTo ?? [],
    workflow: row.delivery.workflow ?? false,
  },
  hasWebhookSecret: row.sealedWebhookSecret !== null,
  reminderIntervalSeconds: row.reminderIntervalSeconds,
  state: row.state,
  stateChangedAt: row.stateChangedAt?.toISOString() ?? null,
  lastNotifiedAt: row.lastNotifiedAt?.toISOString() ?? null,
  enabled: row.enabled,
  pausedReason: row.pausedReason,
  createdBy: row.userId,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
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
