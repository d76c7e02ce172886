import { can } from '@conduit/auth';
import type { Actor, TeamRole } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { apps } from '../../db/schema.js';

export type AppRow = typeof apps.$inferSelect;

export const appNotFound = () => new DomainError('not_found', 'No such app.');

/** Team roles that manage a team's apps: an app is on the open web, so members only read it. */
const managingRoles: readonly TeamRole[] = ['owner', 'admin'];

/** Read by its owner (no team) or any member of its team. */
export function canReadApp(actor: Actor, app: Pick<AppRow, 'teamId' | 'ownerUserId'>): boolean {
  return app.teamId
    ? can(actor, 'bots.read', { teamId: app.teamId })
    : can(actor, 'bots.read', { ownerUserId: app.ownerUserId });
}

/** Managed by its owner (no team) or its team's owners and admins. */
export function canManageApp(actor: Actor, app: Pick<AppRow, 'teamId' | 'ownerUserId'>): boolean {
  if (actor.platformAdmin) return true;
  if (!app.teamId) return can(actor, 'bots.write', { ownerUserId: app.ownerUserId });
  const role = actor.teams[app.teamId];
  return (
    role !== undefined && managingRoles.includes(role) && can(actor, 'bots.write', { teamId: app.teamId })
  );
}

/**
 * The actor as the verbs that change apps act: team roles below admin become viewer, so row-level
 * security (writable teams) refuses the writes the domain refuses.
 */
export function asAppManager(actor: Actor): Actor {
  return {
    ...actor,
    teams: Object.fromEntries(
      Object.entries(actor.teams).map(([teamId, role]) => [
        teamId,
        managingRoles.includes(role) ? role : 'viewer',
      ]),
    ),
  };
}

/**
 * An app the actor may read (`read`) or manage (`manage`). Throws not_found when they cannot see
 * it, forbidden when they can read it but not manage it.
 */
export async function loadApp(
  tx: Transaction,
  actor: Actor,
  appId: string,
  access: 'read' | 'manage',
  options: { lock?: boolean } = {},
): Promise<AppRow> {
  const [app] = await tx.select().from(apps).where(eq(apps.id, appId));
  if (!app || !canReadApp(actor, app)) throw appNotFound();
  if (access === 'manage' && !canManageApp(actor, app))
    throw new DomainError('forbidden', "Only the app's owner or its team's owners and admins may change it.");
  // Locked only once allowed: FOR UPDATE needs the update policy, so a reader would see nothing.
  if (options.lock) await tx.select({ id: apps.id }).from(apps).where(eq(apps.id, appId)).for('update');
  return app;
}
