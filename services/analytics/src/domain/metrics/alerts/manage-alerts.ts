import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import {
  type AlertCondition,
  alertEvaluations,
  alerts,
  type DeliveryTargets,
} from '../../../db/delivery-schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import type { DeliveryWorkChanges } from '../deliveries/delivery-owner.js';
import { deliveryWorkVerbs } from '../deliveries/delivery-work.js';
import { type AlertRow, toAlertDto, toAlertEvaluationDto } from './alert-dto.js';

/**
 * Alerts: the shared verbs of delivered work (deliveries/delivery-work.ts) plus their conditions
 * and reminder interval. A change leaves the alert's state as it is.
 */

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

export type AlertChanges = Partial<Omit<AlertInput, 'explorationId'>> & DeliveryWorkChanges;

const work = deliveryWorkVerbs({
  noun: 'alert',
  table: alerts,
  tableName: 'alerts',
  toDto: toAlertDto,
  history: { table: alertEvaluations, of: alertEvaluations.alertId, toDto: toAlertEvaluationDto },
});

/** An alert the actor may see, else not_found; forbidden when they may not manage it. */
export const findAlert = (tx: Transaction, actor: Actor, id: string, action?: 'read' | 'manage') =>
  work.find(tx, actor, id, action) as Promise<AlertRow>;

/** Creates an alert on an exploration's measures and schedules its evaluations. */
export const createAlert = (deps: AnalyticsDeps, actor: Actor, input: AlertInput) =>
  work.create(deps, actor, input, {
    conditions: input.conditions,
    reminderIntervalSeconds: input.reminderIntervalSeconds ?? null,
  });

/** Changes an alert and its schedule (its state stays). Throws as createAlert does. */
export const updateAlert = (deps: AnalyticsDeps, actor: Actor, id: string, changes: AlertChanges) =>
  work.update(deps, actor, id, changes, (current) => ({
    conditions: changes.conditions ?? current.conditions,
    reminderIntervalSeconds:
      changes.reminderIntervalSeconds === undefined
        ? current.reminderIntervalSeconds
        : changes.reminderIntervalSeconds,
  }));

/** Deletes an alert, its evaluations and its schedule. Throws not_found / forbidden. */
export const deleteAlert = work.remove;
export const getAlert = work.get;
/** A team's alerts, newest first. Throws not_found outside the team. */
export const listAlerts = work.list;
/** An alert's evaluations, newest first. Throws not_found for an alert the actor cannot see. */
export const listAlertEvaluations = work.history;
/**
 * "Test": queues an evaluation that delivers a sample (the current values, breaches and chart)
 * whatever the alert's state, and changes no state. Throws not_found / forbidden.
 */
export const testAlert = work.runNow;
