import type { Actor, TeamRole } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, sql } from 'drizzle-orm';
import { teamMembers, teams } from '../../db/schema.js';

export interface TeamContext {
  team: typeof teams.$inferSelect;
  /** The actor's role, or 'owner' for the platform admin acting on any team. */
  myRole: TeamRole;
}

/**
 * Loads a team the actor may see, with their role; takes a per-team lock so that changes of
 * membership (and the "at least one owner" rule) are decided one at a time.
 * Throws not_found for a team the actor is not in (it may as well not exist).
 */
export async function loadTeam(
  tx: Transaction,
  actor: Actor,
  teamId: string,
  options: { lock?: boolean } = {},
): Promise<TeamContext> {
  if (options.lock)
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`identity.team.${teamId}`}))`);
  const [team] = await tx.select().from(teams).where(eq(teams.id, teamId));
  const [membership] = await tx
    .select({ role: teamMembers.role })
    .from(teamMembers)
    .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, actor.userId)));
  const myRole = actor.platformAdmin ? 'owner' : (membership?.role as TeamRole | undefined);
  if (!team || !myRole) throw new DomainError('not_found', 'No such team.');
  return { team, myRole };
}

/** Owners and admins manage members; only owners touch owners. Throws forbidden otherwise. */
export function assertCanManage(context: TeamContext, touchesOwner: boolean): void {
  if (context.myRole !== 'owner' && context.myRole !== 'admin') {
    throw new DomainError('forbidden', 'Only team owners and admins manage members.');
  }
  if (touchesOwner && context.myRole !== 'owner')
    throw new DomainError('forbidden', 'Only owners add, change or remove owners.');
}

export async function countOwners(tx: Transaction, teamId: string): Promise<number> {
  const [row] = await tx
    .select({ owners: sql<number>`count(*)::int` })
    .from(teamMembers)
    .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.role, 'owner')));
  return row?.owners ?? 0;
}

export const lastOwner = () =>
  new DomainError('conflict', 'A team keeps at least one owner: make someone else owner first.');
