import type { Actor, TeamRole } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';

/**
 * Who may do what with a team's metrics: every member (viewers too) reads its sources, schemas and
 * explorations and runs queries; owners and admins manage sources and schemas; owners, admins and
 * members save explorations. The platform admin may do anything. Row-level security (0005) says the
 * same in Postgres. A team the actor is not in is not_found, as an unknown one is.
 */
export type MetricsAction = 'read' | 'explore' | 'manage';

const allowed: Record<MetricsAction, readonly TeamRole[]> = {
  read: ['owner', 'admin', 'member', 'viewer'],
  explore: ['owner', 'admin', 'member'],
  manage: ['owner', 'admin'],
};

const refusals: Record<MetricsAction, string> = {
  read: 'You are not in that team.',
  explore: "Viewers read a team's explorations but do not save them.",
  manage: "Only the team's owners and admins manage its data sources and schemas.",
};

/** Throws not_found (not in the team, or `hidden` for what cannot be seen) or forbidden. */
export function checkTeamAccess(actor: Actor, teamId: string, action: MetricsAction, what = 'team') {
  if (actor.platformAdmin) return;
  const role = actor.teams[teamId];
  if (role === undefined) throw new DomainError('not_found', `No such ${what}.`);
  if (!allowed[action].includes(role)) throw new DomainError('forbidden', refusals[action]);
}

export const mayTeam = (actor: Actor, teamId: string, action: MetricsAction) =>
  actor.platformAdmin || allowed[action].includes(actor.teams[teamId] as TeamRole);
