import { type BotOwner, requireBotManager as requireManagerOverBus } from '@conduit/bus';
import type { Actor } from '@conduit/contracts';
import type { ActorContext } from '@conduit/db';
import type { WorkflowDeps } from '../../deps.js';

/** The bot's owner (see requireBotManager in @conduit/bus), for the automation verbs. */
export function requireBotManager(deps: WorkflowDeps, actor: Actor, botId: string): Promise<BotOwner> {
  return requireManagerOverBus(deps.bus, actor, botId, { timeoutMs: deps.env.RPC_TIMEOUT });
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
