import { asActor } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { type Actor, conversationEvents, toEventActor } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { clicks, outbox } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { loadSession } from '../sessions/session-access.js';

/** Records a click on an element of the session's UI. Throws not_found. */
export async function recordClick(
  deps: ConversationDeps,
  actor: Actor,
  sessionId: string,
  input: {
    elementId: string;
    metadata?: Record<string, unknown> | undefined;
    timestamp?: string | undefined;
  },
) {
  const metadata = input.metadata ?? {};
  if (JSON.stringify(metadata).length > 8192)
    throw new DomainError('payload_too_large', 'Click metadata may be at most 8 KiB of JSON.');
  return asActor(deps.db, actor, async (tx) => {
    const session = await loadSession(tx, actor, sessionId, { forWrite: true });
    const [row] = await tx
      .insert(clicks)
      .values({
        id: uuidv7(),
        sessionId,
        userId: actor.userId,
        elementId: input.elementId,
        metadata,
        timestamp: input.timestamp ? new Date(input.timestamp) : new Date(),
      })
      .returning();
    await appendEvent(
      tx,
      outbox,
      conversationEvents.clickRecorded,
      { clickId: row!.id, sessionId, botId: session.botId, elementId: row!.elementId },
      toEventActor(actor),
    );
    return {
      id: row!.id,
      sessionId,
      elementId: row!.elementId,
      metadata: row!.metadata,
      timestamp: row!.timestamp.toISOString(),
    };
  });
}
