import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';

/**
 * Who a workspace row belongs to: its owner, and a team when it is shared with one. The workspace
 * is every signed-in user's own (no organization permission is needed, as for their profile);
 * what a team shares follows the caller's role in it. The platform admin has no way in.
 */
export interface OwnedRef {
  ownerUserId: string;
  teamId?: string | null;
}

/**
 * A personal row: its owner. A team's: any member (viewers included), by their role today, not by
 * who created it (a creator demoted to viewer, or out of the team, keeps no way in).
 */
export function canRead(actor: Actor, ref: OwnedRef): boolean {
  if (!ref.teamId) return ref.ownerUserId === actor.userId;
  return actor.teams[ref.teamId] !== undefined;
}

/** A personal row: its owner. A team's: a member whose role changes things (not a viewer). */
export function canWrite(actor: Actor, ref: OwnedRef): boolean {
  if (!ref.teamId) return ref.ownerUserId === actor.userId;
  const role = actor.teams[ref.teamId];
  return role !== undefined && role !== 'viewer';
}

/**
 * Throws not_found unless the actor may read the row (whether or not it exists, so a stranger
 * learns nothing), and forbidden when they may read but not change it (a team viewer).
 */
export function checkAccess<R extends OwnedRef>(
  actor: Actor,
  row: R | undefined,
  access: 'read' | 'write',
  what: string,
): R {
  if (!row || !canRead(actor, row)) throw new DomainError('not_found', `No such ${what}.`);
  if (access === 'write' && !canWrite(actor, row))
    throw new DomainError('forbidden', `Your role lets you see this ${what} but not change it.`);
  return row;
}

/**
 * The owner and team of something new: the caller's own, or shared with a team in which they
 * may create. Throws not_found for a team they are not in, forbidden for a team they only view.
 */
export function newOwnership(
  actor: Actor,
  teamId: string | null | undefined,
): { ownerUserId: string; teamId: string | null } {
  if (!teamId) return { ownerUserId: actor.userId, teamId: null };
  const role = actor.teams[teamId];
  if (role === undefined) throw new DomainError('not_found', 'No such team among yours.');
  if (role === 'viewer') throw new DomainError('forbidden', 'Viewers of a team cannot add to it.');
  return { ownerUserId: actor.userId, teamId };
}
