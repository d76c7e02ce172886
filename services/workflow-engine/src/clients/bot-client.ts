import { requestRpc } from '@conduit/bus';
import { conversationRpc } from '@conduit/contracts';
import type { WorkflowDeps } from '../deps.js';

/** The bot an automation runs for, as conversation's bot RPCs name it. */
export interface BotRef {
  botId: string;
  ownerUserId: string;
  teamId: string | null;
}

/** GET/SET BOT MEMORY through rpc.conversation.bots.memory; throws as the RPC does. */
export function botMemoryOf(
  deps: WorkflowDeps,
  bot: BotRef,
  request: { op: 'get'; key: string } | { op: 'set'; key: string; value: unknown },
) {
  return requestRpc(
    deps.bus,
    conversationRpc.botMemory,
    { ...request, botId: bot.botId, ownerUserId: bot.ownerUserId, teamId: bot.teamId },
    { timeoutMs: deps.env.RPC_TIMEOUT },
  );
}

/** The collection a bot's configuration maps knowledge base `name` to (null: none); throws as the RPC does. */
export async function botKnowledgeBaseOf(deps: WorkflowDeps, bot: BotRef, name: string) {
  const { collectionId } = await requestRpc(
    deps.bus,
    conversationRpc.botKnowledgeBase,
    { botId: bot.botId, ownerUserId: bot.ownerUserId, teamId: bot.teamId, name },
    { timeoutMs: deps.env.RPC_TIMEOUT },
  );
  return collectionId;
}
