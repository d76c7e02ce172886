import { type Actor, conversationRpc } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { Bus } from './connection.js';
import { RpcError, requestRpc } from './rpc.js';

/** Who owns a bot, as conversation answers `rpc.conversation.bots.owner`. */
export interface BotOwner {
  ownerUserId: string;
  teamId: string | null;
  orgId: string | null;
}

/**
 * The bot's owner as conversation knows it, asked as the caller, for services that keep something
 * per bot (automations, a bot's mailbox) and let only its managers decide it. Throws not_found
 * when the caller may not see the bot (or it does not exist), forbidden when they see it but do
 * not manage it (see `managesBot`), unavailable when conversation does not answer.
 */
export async function requireBotManager(
  bus: Bus,
  actor: Actor,
  botId: string,
  options: { timeoutMs: number },
): Promise<BotOwner> {
  let answer: { bot: BotOwner | null };
  try {
    answer = await requestRpc(
      bus,
      conversationRpc.botOwner,
      { botId, userId: actor.userId, orgId: actor.orgId, teams: actor.teams },
      { timeoutMs: options.timeoutMs },
    );
  } catch (error) {
    if (error instanceof RpcError)
      throw new DomainError('unavailable', 'Bots cannot be looked up right now; please try again shortly.', {
        retryAfterSeconds: 5,
      });
    throw error;
  }
  if (!answer.bot) throw new DomainError('not_found', 'No such bot.');
  if (!managesBot(actor, answer.bot))
    throw new DomainError('forbidden', "Only the bot's owner (or its team's owners and admins) may do this.");
  return answer.bot;
}

/**
 * The bot's owner for a personal bot; an owner or admin of its team for a team bot. Nobody else,
 * platform admins included: what is kept per bot acts as the bot's owner, so only they decide it.
 */
export function managesBot(actor: Actor, bot: BotOwner): boolean {
  if (bot.teamId) return ['owner', 'admin'].includes(actor.teams[bot.teamId] ?? '');
  return bot.ownerUserId === actor.userId;
}
