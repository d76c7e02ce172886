import { type Bus, type RpcServer, serveRpc } from '@conduit/bus';
import { conversationRpc } from '@conduit/contracts';
import type { ConversationDeps } from '../deps.js';
import { completeForService } from '../domain/llm/complete-for-service.js';

/**
 * `rpc.conversation.llm.complete`: a completion through this service's providers for another
 * service (the workflow engine's llm node), as the user it names and charged to its payer.
 */
export function serveCompleteRpc(bus: Bus, deps: ConversationDeps): RpcServer {
  return serveRpc(
    bus,
    conversationRpc.complete,
    'conversation',
    (request) => completeForService(deps, request),
    (error) => deps.log.error({ err: error }, 'rpc.conversation.llm.complete failed'),
  );
}
