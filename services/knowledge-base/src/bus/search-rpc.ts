import { type Bus, type RpcServer, serveRpc } from '@conduit/bus';
import { type Actor, knowledgeRpc } from '@conduit/contracts';
import type { KnowledgeDeps } from '../deps.js';
import { hybridSearch } from '../domain/search/hybrid-search.js';

/**
 * `rpc.knowledge.search` for the conversation service, answered by one replica of a queue group.
 * The caller vouches for the session's user; access is then checked for that user exactly as for
 * their own requests (read access only: the RPC grants `kb.read` and nothing else); serveRpc maps
 * the verb's DomainError (not_found for a collection the user may not see).
 */
export function serveSearchRpc(bus: Bus, deps: KnowledgeDeps): RpcServer {
  return serveRpc(
    bus,
    knowledgeRpc.search,
    'knowledge-base',
    async (request) => {
      const actor: Actor = {
        userId: request.userId,
        sessionId: null,
        orgId: request.orgId ?? null,
        teams: request.teams ?? {},
        permissions: ['kb.read'],
        platformAdmin: false,
      };
      return hybridSearch(deps, actor, {
        scope: request.sessionId
          ? { kind: 'session', sessionId: request.sessionId, collectionIds: request.collectionIds }
          : { kind: 'collections', collectionIds: request.collectionIds! },
        query: request.query,
        k: request.k,
        filter: request.filter,
      });
    },
    (error) => deps.log.error({ err: error }, 'rpc.knowledge.search failed'),
  );
}
