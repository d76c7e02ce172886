import type { Actor } from '@conduit/contracts';
import type { DeliveryTargets } from '../../../db/delivery-schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { checkEmailTargets } from './check-email-targets.js';
import { checkWebhookUrl } from './check-webhook-url.js';
import { checkSchedule } from './delivery-schedule.js';
import { newWebhookSecret, sealWebhookSecret } from './delivery-targets.js';

/**
 * What reports and alerts share as scheduled, delivered work owned by a team's manager: a name, a
 * schedule in a time zone, delivery targets with a sealed webhook signing secret, and whether it
 * runs (paused by the worker, with why, when its creator no longer manages the team).
 */
export interface DeliveryWorkInput {
  name: string;
  schedule: string;
  timeZone: string;
  delivery: DeliveryTargets;
  enabled?: boolean | undefined;
}

export interface DeliveryWorkRow {
  id: string;
  teamId: string;
  userId: string;
  name: string;
  schedule: string;
  timeZone: string;
  delivery: DeliveryTargets;
  sealedWebhookSecret: string | null;
  enabled: boolean;
  pausedReason: string | null;
}

export type DeliveryWorkChanges = Partial<DeliveryWorkInput> & { rotateWebhookSecret?: boolean | undefined };

type WorkTable = 'reports' | 'alerts';

/** The webhook's host, checked before any transaction (it may resolve a name). */
export async function checkWebhookTarget(deps: AnalyticsDeps, delivery: DeliveryTargets | undefined) {
  if (delivery?.webhookUrl) await checkWebhookUrl(deps.metrics.addresses, delivery.webhookUrl);
}

/**
 * The shared columns of new work in a team, made by the actor: its schedule checked, its mail
 * addresses the team's members', a signing secret for a webhook (answered once, kept sealed).
 * Throws unprocessable for a schedule or an address that cannot be used.
 */
export async function newWorkColumns(
  deps: AnalyticsDeps,
  actor: Actor,
  work: { table: WorkTable; id: string; teamId: string },
  input: DeliveryWorkInput,
) {
  const { schedule } = checkSchedule(input.schedule, input.timeZone, deps.env.METRICS_MIN_SCHEDULE_GAP);
  await checkEmailTargets(deps, {
    teamId: work.teamId,
    userId: actor.userId,
    emails: input.delivery.emailTo,
  });
  const secret = input.delivery.webhookUrl ? newWebhookSecret() : null;
  return {
    secret,
    columns: {
      id: work.id,
      teamId: work.teamId,
      organizationId: actor.orgId,
      userId: actor.userId,
      name: input.name,
      schedule,
      timeZone: input.timeZone,
      delivery: input.delivery,
      sealedWebhookSecret: secret ? sealWebhookSecret(deps.metrics.box, work.table, work.id, secret) : null,
      enabled: input.enabled ?? true,
    },
  };
}

/**
 * The shared columns of work after the actor's changes: the schedule checked again, new addresses
 * checked, a new secret for a new webhook URL (or when asked), and, when a manager resumes work
 * the worker paused for its creator, the work becomes theirs.
 */
export async function changedWorkColumns(
  deps: AnalyticsDeps,
  actor: Actor,
  table: WorkTable,
  current: DeliveryWorkRow,
  changes: DeliveryWorkChanges,
) {
  const timeZone = changes.timeZone ?? current.timeZone;
  const { schedule } = checkSchedule(
    changes.schedule ?? current.schedule,
    timeZone,
    deps.env.METRICS_MIN_SCHEDULE_GAP,
  );
  const delivery = changes.delivery ?? current.delivery;
  if (changes.delivery)
    await checkEmailTargets(deps, { teamId: current.teamId, userId: actor.userId, emails: delivery.emailTo });
  const urlChanged = delivery.webhookUrl !== current.delivery.webhookUrl;
  const secret =
    delivery.webhookUrl && (urlChanged || changes.rotateWebhookSecret || !current.sealedWebhookSecret)
      ? newWebhookSecret()
      : null;
  return {
    secret,
    columns: {
      name: changes.name ?? current.name,
      schedule,
      timeZone,
      delivery,
      enabled: changes.enabled ?? current.enabled,
      ...(changes.enabled && current.pausedReason ? { pausedReason: null, userId: actor.userId } : {}),
      sealedWebhookSecret: !delivery.webhookUrl
        ? null
        : secret
          ? sealWebhookSecret(deps.metrics.box, table, current.id, secret)
          : current.sealedWebhookSecret,
      updatedAt: new Date(),
    },
  };
}

/** The answer fields reports and alerts share: where they deliver, never the webhook secret. */
export const deliveryWorkDto = (
  row: DeliveryWorkRow & { explorationId: string; createdAt: Date; updatedAt: Date },
) => ({
  id: row.id,
  teamId: row.teamId,
  explorationId: row.explorationId,
  name: row.name,
  schedule: row.schedule,
  timeZone: row.timeZone,
  delivery: {
    webhookUrl: row.delivery.webhookUrl ?? null,
    emailTo: row.delivery.emailTo ?? [],
    workflow: row.delivery.workflow ?? false,
  },
  hasWebhookSecret: row.sealedWebhookSecret !== null,
  enabled: row.enabled,
  pausedReason: row.pausedReason,
  createdBy: row.userId,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
