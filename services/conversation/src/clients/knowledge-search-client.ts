import { RpcError, requestRpc } from '@conduit/bus';
import { type Actor, knowledgeRpc } from '@conduit/contracts';
import type { ConversationDeps } from '../deps.js';
import { knowledgeReaderOf, visitOf } from '../domain/app-visits/visitor-actor.js';

type SearchHit = knowledgeRpc.SearchHit;

/** Where a session's knowledge comes from: collections attached to it in the knowledge base, and those its script chose with USE KB. */
export interface KnowledgeScope {
  sessionId: string;
  collectionIds: string[];
}

/**
 * Searches the session's knowledge bases through `rpc.knowledge.search`, as the session's user
 * (knowledge-base checks their access to each collection): the collections attached to the
 * session and those in use by its script, in one request and one ranking.
 */
export async function searchKnowledge(
  deps: ConversationDeps,
  actor: Actor,
  scope: KnowledgeScope,
  query: string,
  k = deps.env.KB_TOP_K,
): Promise<SearchHit[]> {
  if (query.trim() === '') return [];
  // An app's visitor has no knowledge of their own: the app's owner's is searched, and only the
  // collections the script chose (nothing is attached to a visitor's session).
  const visit = visitOf(actor);
  const reader = visit
    ? knowledgeReaderOf(visit)
    : { userId: actor.userId, orgId: actor.orgId, teams: { ...actor.teams } };
  const inUse = [...new Set(scope.collectionIds)].slice(0, 50);
  if (visit && inUse.length === 0) return [];
  // One request for both (the session's links and the script's collections), ranked together.
  const { hits } = await requestRpc(
    deps.bus,
    knowledgeRpc.search,
    {
      ...reader,
      ...(visit ? {} : { sessionId: scope.sessionId }),
      ...(inUse.length > 0 ? { collectionIds: inUse } : {}),
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
  scope: KnowledgeScope,
  query: string,
): Promise<{ hits: SearchHit[]; warning: string | null }> {
  try {
    return { hits: await searchKnowledge(deps, actor, scope, query), warning: null };
  } catch (error) {
    deps.log.warn({ err: error }, 'knowledge search failed; answering without it');
    const warning =
      error instanceof RpcError && error.code === 'not_found'
        ? 'A knowledge base of this session no longer exists or is not shared with you.'
        : 'The knowledge base could not be searched just now.';
    return { hits: [], warning };
  }
}
