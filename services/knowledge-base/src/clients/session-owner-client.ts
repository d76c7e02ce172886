import { requestRpc } from '@conduit/bus';
import { conversationRpc } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { KnowledgeDeps } from '../deps.js';

/**
 * Who owns a chat session, as the conversation service answers `rpc.conversation.sessions.owner`:
 * null for a session it does not know. Throws unavailable when conversation cannot be asked.
 */
export async function askSessionOwner(deps: KnowledgeDeps, sessionId: string): Promise<string | null> {
  const { userId } = await requestRpc(deps.bus, conversationRpc.sessionOwner, { sessionId }).catch(
    (error: unknown) => {
      deps.log.warn({ err: error, sessionId }, 'session owner unknown: conversation did not answer');
      throw new DomainError('unavailable', 'Chat sessions cannot be checked right now; try again shortly.', {
        retryAfterSeconds: 2,
      });
    },
  );
  return userId;
}
