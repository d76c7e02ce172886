import { RpcError, requestRpc } from '@conduit/bus';
import { conversationRpc, knowledgeRpc } from '@conduit/contracts';
import type { ActorContext } from '@conduit/db';
import type { WorkflowDeps } from '../deps.js';
import { NodeError } from '../nodes/node-type.js';

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

/** A failed RPC as the node's failure: refusals at once, a service that did not answer again. */
function nodeFailure(what: string, error: RpcError) {
  const retryable = ['timeout', 'unavailable', 'internal'].includes(error.code);
  return new NodeError(`${what}: ${error.message}`, retryable);
}

/**
 * `rpc.conversation.llm.complete` as the owner, charged to the workflow's payer (its team, else
 * its owner): a completion, which may take a while (LLM_NODE_TIMEOUT).
 */
export async function completeAs(
  deps: WorkflowDeps,
  owner: ActorContext,
  request: { model?: string; system?: string; prompt: string; maxTokens: number; idempotencyKey?: string },
) {
  const team = owner.teamIds?.[0];
  try {
    return await requestRpc(
      deps.bus,
      conversationRpc.complete,
      {
        ...asUser(owner),
        payer: team ? { type: 'team', id: team } : { type: 'user', id: owner.userId },
        ...request,
      },
      { timeoutMs: deps.env.LLM_NODE_TIMEOUT },
    );
  } catch (error) {
    if (error instanceof RpcError) throw nodeFailure('LLM', error);
    throw error;
  }
}

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
    if (error instanceof RpcError) throw nodeFailure('Knowledge search', error);
    throw error;
  }
}
