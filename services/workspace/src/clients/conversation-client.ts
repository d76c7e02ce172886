import { RpcError, requestRpc } from '@conduit/bus';
import { type Actor, conversationRpc } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { WorkspaceDeps } from '../deps.js';

/** Who owns chat session `sessionId` (rpc.conversation.sessions.owner). */
export async function sessionOwnerOf(deps: WorkspaceDeps, sessionId: string) {
  try {
    const { userId } = await requestRpc(
      deps.bus,
      conversationRpc.sessionOwner,
      { sessionId },
      { timeoutMs: deps.env.RPC_TIMEOUT },
    );
    return userId;
  } catch (error) {
    if (error instanceof RpcError)
      throw new DomainError('unavailable', 'Chat sessions cannot be checked right now; try again shortly.', {
        retryAfterSeconds: 5,
      });
    throw error;
  }
}

/** The bot as conversation shows it to `actor` (rpc.conversation.bots.owner): null when they cannot see it. */
export async function botAsSeenBy(
  deps: WorkspaceDeps,
  actor: Actor,
  botId: string,
): Promise<{ ownerUserId: string; teamId: string | null } | null> {
  try {
    const answer = await requestRpc(
      deps.bus,
      conversationRpc.botOwner,
      { botId, userId: actor.userId, orgId: actor.orgId, teams: actor.teams },
      { timeoutMs: deps.env.RPC_TIMEOUT },
    );
    return answer.bot;
  } catch (error) {
    if (error instanceof RpcError)
      throw new DomainError('unavailable', 'Bots cannot be looked up right now; please try again shortly.', {
        retryAfterSeconds: 5,
      });
    throw error;
  }
}
