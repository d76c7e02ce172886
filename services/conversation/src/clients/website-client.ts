import { requestRpc } from '@conduit/bus';
import { type Actor, knowledgeRpc } from '@conduit/contracts';
import type { ConversationDeps } from '../deps.js';

/**
 * Adds the website at `url` to `actor`'s knowledge for session `sessionId`
 * (rpc.knowledge.websites.use); answers the collection it lands in. Throws as the RPC does.
 */
export async function useWebsiteFor(deps: ConversationDeps, actor: Actor, sessionId: string, url: string) {
  const { collectionId } = await requestRpc(
    deps.bus,
    knowledgeRpc.useWebsite,
    { userId: actor.userId, orgId: actor.orgId, teams: actor.teams, sessionId, url },
    { timeoutMs: deps.env.RPC_TIMEOUT },
  );
  return collectionId;
}
