import { can } from '@conduit/auth';
import type { Actor, Permission } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { bots } from '../../db/schema.js';
import { visitOf } from '../app-visits/visitor-actor.js';

export type BotRow = typeof bots.$inferSelect;

export const botNotFound = () => new DomainError('not_found', 'No such bot.');

/**
 * Who may do what with a bot. A team bot answers to team roles only (its creator gets no more
 * than their role in the team); a personal bot to its creator; an organization-visible bot may be
 * read (and talked to) by members of its organization.
 */
export function canOnBot(actor: Actor, permission: Permission, bot: BotRow): boolean {
  // An app's visitor talks to the app's bot and nothing else.
  const visit = visitOf(actor);
  if (visit) return permission === 'bots.read' && visit.botId === bot.id;
  if (bot.teamId) {
    if (can(actor, permission, { teamId: bot.teamId })) return true;
  } else if (can(actor, permission, { ownerUserId: bot.ownerUserId })) return true;
  return (
    permission === 'bots.read' &&
    bot.visibility === 'organization' &&
    can(actor, permission, { orgId: bot.orgId })
  );
}

/**
 * Loads a bot the actor may use with `permission`. Throws not_found when they cannot see it
 * (row-level security or no read right), forbidden when they can see it but not do this.
 */
export async function loadBot(
  tx: Transaction,
  actor: Actor,
  botId: string,
  permission: Permission,
): Promise<BotRow> {
  const [bot] = await tx.select().from(bots).where(eq(bots.id, botId));
  if (!bot || !canOnBot(actor, 'bots.read', bot)) throw botNotFound();
  if (!canOnBot(actor, permission, bot))
    throw new DomainError('forbidden', 'You may read this bot but not change it.');
  return bot;
}
