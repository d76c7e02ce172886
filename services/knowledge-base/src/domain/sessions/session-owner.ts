import type { Actor } from '@conduit/contracts';
import { withoutActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { sql } from 'drizzle-orm';
import { askSessionOwner } from '../../clients/session-owner-client.js';
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
  const userId = await askSessionOwner(deps, sessionId);
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
