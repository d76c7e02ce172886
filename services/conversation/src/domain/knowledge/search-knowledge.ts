import { RpcError, requestRpc } from '@conduit/bus';
import { type Actor, knowledgeRpc } from '@conduit/contracts';
import type { ConversationDeps } from '../../deps.js';
import type { SearchHit } from '../llm/chat-provider.js';

/**
 * Searches the session's knowledge bases through `rpc.knowledge.search`, as the session's user
 * (knowledge-base checks their access to each collection). No knowledge base: no call.
 */
export async function searchKnowledge(
  deps: ConversationDeps,
  actor: Actor,
  collectionIds: string[],
  query: string,
  k = deps.env.KB_TOP_K,
): Promise<SearchHit[]> {
  if (collectionIds.length === 0 || query.trim() === '') return [];
  const { hits } = await requestRpc(
    deps.bus,
    knowledgeRpc.search,
    {
      userId: actor.userId,
      orgId: actor.orgId,
      teams: { ...actor.teams },
      collectionIds: [...new Set(collectionIds)].slice(0, 50),
      query: query.slice(0, 2000),
      k,
    },
    { timeoutMs: deps.env.RPC_TIMEOUT },
  );
  return hits;
}

/** Grounding is best-effort: when the knowledge base cannot answer, the bot answers without it. */
export async function searchKnowledgeOrNothing(
  deps: ConversationDeps,
  actor: Actor,
  collectionIds: string[],
  query: string,
): Promise<{ hits: SearchHit[]; warning: string | null }> {
  try {
    return { hits: await searchKnowledge(deps, actor, collectionIds, query), warning: null };
  } catch (error) {
    deps.log.warn({ err: error }, 'knowledge search failed; answering without it');
    const warning =
      error instanceof RpcError && error.code === 'not_found'
        ? 'A knowledge base of this session no longer exists or is not shared with you.'
        : 'The knowledge base could not be searched just now.';
    return { hits: [], warning };
  }
}
