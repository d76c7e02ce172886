import { requestRpc } from '@conduit/bus';
import { type Actor, conversationRpc } from '@conduit/contracts';
import { withoutActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { sql } from 'drizzle-orm';
import type { KnowledgeDeps } from '../../deps.js';

/** The one answer for a session that is not the caller's, whether it exists or not. */
export const sessionNotFound = () => new DomainError('not_found', 'No such session.');

/**
 * Who owns a chat session: as recorded here, else as the conversation service answers (recorded
 * then, which also removes links anyone else made to it). Null for a session conversation does
 * not know. Throws unavailable when conversation cannot be asked.
 */
async function sessionOwner(deps: KnowledgeDeps, sessionId: string): Promise<string | null> {
  const [known] = await withoutActor(deps.db, (tx) =>
    tx.execute<{ owner: string | null }>(sql`select knowledge.session_owner(${sessionId}) as owner`),
  );
  if (known?.owner) return known.owner;
  const { userId } = await requestRpc(deps.bus, conversationRpc.sessionOwner, { sessionId }).catch(
    (error: unknown) => {
      deps.log.warn({ err: error, sessionId }, 'session owner unknown: conversation did not answer');
      throw new DomainError('unavailable', 'Chat sessions cannot be checked right now; try again shortly.', {
        retryAfterSeconds: 2,
      });
    },
  );
  if (!userId) return null;
  const [recorded] = await withoutActor(deps.db, (tx) =>
    tx.execute<{ owner: string }>(
      sql`select knowledge.record_session_owner(${sessionId}, ${userId}) as owner`,
    ),
  );
  return recorded?.owner ?? userId;
}

/** Throws not_found (as for an unknown session) unless the actor owns the chat session. */
export async function assertOwnSession(deps: KnowledgeDeps, actor: Actor, sessionId: string) {
  if ((await sessionOwner(deps, sessionId)) !== actor.userId) throw sessionNotFound();
}
