import type { Actor } from '@conduit/contracts';
import { eq, inArray, or } from 'drizzle-orm';
import type { projects } from '../../db/schema.js';

/**
 * The rows of the caller and of their teams: the same rule as the row-level security's, for any
 * owned table (projects, files, chats, tombstones), so a list asks Postgres only for what it may show.
 */
export function visibleTo<T extends { ownerUserId: unknown; teamId: unknown }>(table: T, actor: Actor) {
  const teams = Object.keys(actor.teams);
  const own = eq(table.ownerUserId as typeof projects.ownerUserId, actor.userId);
  return teams.length === 0 ? own : or(own, inArray(table.teamId as typeof projects.teamId, teams));
}
