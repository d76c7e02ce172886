import { RpcError, requestRpc } from '@conduit/bus';
import { knowledgeRpc } from '@conduit/contracts';
import type { ActorContext } from '@conduit/db';
import type { WorkflowDeps } from '../../deps.js';
import { NodeError } from '../../nodes/node-type.js';

/**
 * Other services' RPCs as a workflow's owner: nodes reach them through these, so what the owner
 * may not reach, their workflow may not either.
 */

/** The owner as an RPC names a user: their teams as a viewer would see them (reading only). */
const asUser = (owner: ActorContext) => ({
  userId: owner.userId,
  orgId: owner.orgId ?? null,
  teams: Object.fromEntries((owner.teamIds ?? []).map((teamId) => [teamId, 'viewer' as const])),
});

/**
 * `rpc.knowledge.search` over the given collections. A refusal (not_found, forbidden, bad request)
 * fails the node at once; a knowledge base that does not answer is worth another try.
 */
export async function searchKnowledgeAs(
  deps: WorkflowDeps,
  owner: ActorContext,
  request: { collectionIds: string[]; query: string; k: number },
) {
  try {
    const answer = await requestRpc(
      deps.bus,
      knowledgeRpc.search,
      { ...asUser(owner), ...request },
      { timeoutMs: deps.env.RPC_TIMEOUT },
    );
    return answer.hits;
  } catch (error) {
    if (!(error instanceof RpcError)) throw error;
    const retryable = ['timeout', 'unavailable', 'internal'].includes(error.code);
    throw new NodeError(`Knowledge search: ${error.message}`, retryable);
  }
}
