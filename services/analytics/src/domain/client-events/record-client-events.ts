import type { Actor } from '@conduit/contracts';
import type { AnalyticsDeps } from '../../deps.js';
import { asViewer } from '../access/viewer-scope.js';
import type { EventRow } from '../events/event-row.js';
import type { MetricName } from '../events/metrics.js';
import { recordEvents } from '../events/record-events.js';
import { clientEventId } from './client-event-id.js';

export const clientEventTypes = ['page_view', 'click', 'custom'] as const;
export type ClientEventType = (typeof clientEventTypes)[number];

const metricOf: Record<ClientEventType, MetricName> = {
  page_view: 'page_views',
  click: 'clicks',
  custom: 'custom_events',
};

export interface ClientEvent {
  idempotencyKey: string;
  type: ClientEventType;
  /** The page, element or custom event's name. */
  name?: string | undefined;
  occurredAt: string;
  botId?: string | undefined;
  sessionId?: string | undefined;
  workflowId?: string | undefined;
  teamId?: string | undefined;
  properties?: Record<string, unknown> | undefined;
}

/** A client clock this far ahead is not believed: the event is recorded at its arrival. */
export const FUTURE_TOLERANCE_MS = 24 * 3_600_000;
/** Events up to this late still land in their own bucket; older ones are refused. */
export const LATE_LIMIT_MS = 7 * 24 * 3_600_000;

export type Refusal = { index: number; reason: 'too_old' | 'not_a_team_member' };

/**
 * Records a batch of events from a client app as the actor's own, each once by its idempotency
 * key (a replayed batch adds nothing). A timestamp more than a day ahead is replaced by the time of
 * arrival and flagged; one more than seven days old is refused, as is a team the actor is not in;
 * the rest are recorded. Answers what happened to each.
 */
export async function recordClientEvents(
  deps: Pick<AnalyticsDeps, 'db'>,
  actor: Actor,
  events: readonly ClientEvent[],
  now = new Date(),
) {
  const rows: EventRow[] = [];
  const refused: Refusal[] = [];
  let clamped = 0;
  for (const [index, event] of events.entries()) {
    const occurredAt = new Date(event.occurredAt);
    if (occurredAt.getTime() < now.getTime() - LATE_LIMIT_MS) {
      refused.push({ index, reason: 'too_old' });
      continue;
    }
    if (event.teamId && !(event.teamId in actor.teams)) {
      refused.push({ index, reason: 'not_a_team_member' });
      continue;
    }
    const skewed = occurredAt.getTime() > now.getTime() + FUTURE_TOLERANCE_MS;
    if (skewed) clamped++;
    rows.push({
      id: clientEventId(actor.userId, event.idempotencyKey),
      event_type: `client.${event.type}`,
      source: 'client',
      occurred_at: (skewed ? now : occurredAt).toISOString(),
      received_at: now.toISOString(),
      organization_id: actor.orgId,
      user_id: actor.userId,
      team_id: event.teamId ?? null,
      bot_id: event.botId ?? null,
      session_id: event.sessionId ?? null,
      workflow_id: event.workflowId ?? null,
      collection_id: null,
      account_id: null,
      metrics: { [metricOf[event.type]]: 1 },
      // The client chose these; they are kept as sent (bounded by the route's schema).
      event_data: {
        idempotencyKey: event.idempotencyKey,
        ...(event.name ? { name: event.name } : {}),
        ...(event.properties ? { properties: event.properties } : {}),
        ...(skewed ? { sentOccurredAt: event.occurredAt } : {}),
      },
      clock_skewed: skewed,
    });
  }
  const recorded = await asViewer(deps.db, actor, (tx) => recordEvents(tx, rows));
  // Within one batch a key given twice is one event, and counts as a duplicate like a replay.
  return { received: events.length, recorded, duplicates: rows.length - recorded, clamped, refused };
}
