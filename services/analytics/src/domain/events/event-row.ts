import type { EventEnvelope } from '@conduit/contracts';
import { isUuid, keptData, type MeaningSettings, meaningOf } from './event-metrics.js';

/** One row of user_analytics as analytics.record_events takes it (a JSON object, snake_case). */
export interface EventRow {
  id: string;
  event_type: string;
  source: string;
  occurred_at: string;
  received_at: string;
  organization_id: string | null;
  user_id: string | null;
  team_id: string | null;
  bot_id: string | null;
  session_id: string | null;
  workflow_id: string | null;
  collection_id: string | null;
  account_id: string | null;
  metrics: Record<string, number>;
  event_data: Record<string, unknown>;
  clock_skewed: boolean;
}

const idOf = (value: unknown) => (isUuid(value) ? value.toLowerCase() : null);

/**
 * The row of an event from the bus: who (the actor, else the ids the data names), what it
 * concerns (bot, session, workflow, collection, mail account), what it counts for, and its data
 * without free text.
 */
export function rowOfEnvelope(
  envelope: EventEnvelope<Record<string, unknown>>,
  settings: MeaningSettings,
  receivedAt: Date,
): EventRow {
  const { data } = envelope;
  const meaning = meaningOf(envelope.subject, data, settings);
  return {
    id: envelope.id.toLowerCase(),
    event_type: envelope.subject,
    source: envelope.subject.split('.')[0]!,
    occurred_at: new Date(envelope.occurredAt).toISOString(),
    received_at: receivedAt.toISOString(),
    organization_id: idOf(envelope.actor?.orgId) ?? idOf(data.organizationId),
    // Mail events name the mailbox's owner (ownerUserId) rather than a userId.
    user_id: idOf(envelope.actor?.userId) ?? idOf(data.userId) ?? idOf(data.ownerUserId),
    team_id: idOf(data.teamId),
    bot_id: idOf(data.botId),
    session_id: idOf(data.sessionId),
    workflow_id: idOf(data.workflowId),
    collection_id: idOf(data.collectionId),
    account_id: idOf(data.accountId),
    metrics: meaning.metrics as Record<string, number>,
    event_data: keptData(data, meaning.keepText),
    clock_skewed: false,
  };
}
