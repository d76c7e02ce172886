import { RpcError, requestRpc } from '@conduit/bus';
import { type Actor, conversationRpc } from '@conduit/contracts';
import type { ActorContext } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import type { WorkflowDeps } from '../../deps.js';

export interface BotOwner {
  ownerUserId: string;
  teamId: string | null;
  orgId: string | null;
}

/**
 * The bot's owner as conversation knows it (rpc.conversation.bots.owner, asked as the caller).
 * Throws not_found when the caller may not see the bot (or it does not exist), forbidden when
 * they see it but are neither its owner nor an owner or admin of its team, unavailable when
 * conversation does not answer.
 */
export async function requireBotManager(deps: WorkflowDeps, actor: Actor, botId: string): Promise<BotOwner> {
  let answer: { bot: BotOwner | null };
  try {
    answer = await requestRpc(
      deps.bus,
      conversationRpc.botOwner,
      { botId, userId: actor.userId, orgId: actor.orgId, teams: actor.teams },
      { timeoutMs: deps.env.RPC_TIMEOUT },
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
    throw new DomainError(
      'forbidden',
      "Only the bot's owner (or its team's owners and admins) manage its automations.",
    );
  return answer.bot;
}

/**
 * The bot's owner for a personal bot; an owner or admin of its team for a team bot. Nobody else,
 * platform admins included: an automation acts as the bot's owner, so only they decide what it does.
 */
export function managesBot(actor: Actor, bot: BotOwner): boolean {
  if (bot.teamId) return ['owner', 'admin'].includes(actor.teams[bot.teamId] ?? '');
  return bot.ownerUserId === actor.userId;
}

/**
 * The row-level security context of automation verbs: only the teams the caller owns or
 * administers count as theirs, so a team member who is neither sees no team automation (0019).
 */
export function automationContext(actor: Actor): ActorContext {
  const managed = Object.entries(actor.teams)
    .filter(([, role]) => role === 'owner' || role === 'admin')
    .map(([teamId]) => teamId);
  return {
    userId: actor.userId,
    orgId: actor.orgId,
    teamIds: managed,
    writableTeamIds: managed,
  };
}

/** The bot's owner as the actor its automation runs as (its team, writable, for a team bot). */
export function ownerContext(owner: {
  ownerUserId: string;
  teamId: string | null;
  orgId?: string | null;
}): ActorContext {
  const teams = owner.teamId ? [owner.teamId] : [];
  return { userId: owner.ownerUserId, orgId: owner.orgId ?? null, teamIds: teams, writableTeamIds: teams };
}
