import { type Bus, type RpcServer, serveRpc } from '@conduit/bus';
import { type Actor, knowledgeRpc } from '@conduit/contracts';
import type { KnowledgeDeps } from '../deps.js';
import { useWebsite } from '../domain/datasources/session-websites.js';

/**
 * `rpc.knowledge.website.use` for the conversation service (a bot's USE WEBSITE). The caller
 * vouches for the session's user and has checked they may add knowledge; this service checks the
 * session is theirs (session-owner) and acts with their collections' access under row-level security.
 */
export function serveWebsiteRpc(bus: Bus, deps: KnowledgeDeps): RpcServer {
  return serveRpc(
    bus,
    knowledgeRpc.useWebsite,
    'knowledge-base',
    async (request) => {
      const actor: Actor = {
        userId: request.userId,
        sessionId: null,
        orgId: request.orgId ?? null,
        teams: request.teams ?? {},
        permissions: ['kb.read', 'kb.write'],
        platformAdmin: false,
      };
      return useWebsite(deps, actor, request.sessionId, request.url);
    },
    (error) => deps.log.error({ err: error }, 'rpc.knowledge.website.use failed'),
  );
}
