import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import type { Database, Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { sql } from 'drizzle-orm';

/** Whose activity a query reads. */
export const scopeKinds = ['me', 'team', 'organization', 'platform'] as const;
export type ScopeKind = (typeof scopeKinds)[number];

export interface ScopeRequest {
  scope: ScopeKind;
  teamId?: string | undefined;
  /** Narrows a team, organization or platform scope to one user. */
  userId?: string | undefined;
}

/** The rows a query may read, as filters on user, team and organization columns. */
export interface ViewerScope {
  userId?: string;
  teamId?: string;
  organizationId?: string;
}

/** Teams whose activity the actor reads: those they own or administer. */
export const managedTeamIds = (actor: Actor) =>
  Object.entries(actor.teams)
    .filter(([, role]) => role === 'owner' || role === 'admin')
    .map(([teamId]) => teamId);

/**
 * Who sees what: everyone their own activity; team owners and admins their team's; holders of
 * analytics.read in an organization the organization's; the platform admin everything. Throws
 * not_found for a team the actor is not in and for the platform scope of anyone but the platform
 * admin (neither is revealed), forbidden for a team they are in without managing it and for an
 * organization they may not read, bad_request for a scope without what it needs.
 */
export function resolveScope(actor: Actor, request: ScopeRequest): ViewerScope {
  const narrowed = request.userId ? { userId: request.userId } : {};
  switch (request.scope) {
    case 'me':
      if (request.userId && request.userId !== actor.userId)
        throw new DomainError(
          'bad_request',
          'The "me" scope is your own activity; use a team or organization scope to read another user.',
        );
      if (request.teamId) throw new DomainError('bad_request', 'teamId goes with scope=team.');
      return { userId: actor.userId };
    case 'team': {
      if (!request.teamId) throw new DomainError('bad_request', 'scope=team needs a teamId.');
      const role = actor.teams[request.teamId];
      if (!actor.platformAdmin && role === undefined) throw new DomainError('not_found', 'No such team.');
      if (!actor.platformAdmin && role !== 'owner' && role !== 'admin')
        throw new DomainError('forbidden', "Only the team's owners and admins read its activity.");
      return { teamId: request.teamId, ...narrowed };
    }
    case 'organization':
      if (request.teamId) throw new DomainError('bad_request', 'teamId goes with scope=team.');
      if (!actor.orgId) throw new DomainError('forbidden', 'Your session acts in no organization.');
      if (!actor.platformAdmin && !actor.permissions.includes('analytics.read'))
        throw new DomainError(
          'forbidden',
          "Reading the organization's analytics needs the analytics.read permission.",
        );
      return { organizationId: actor.orgId, ...narrowed };
    case 'platform':
      if (!actor.platformAdmin) throw new DomainError('not_found', 'Not found.');
      if (request.teamId) throw new DomainError('bad_request', 'teamId goes with scope=team.');
      return narrowed;
  }
}

/**
 * A verb's transaction as the actor (asActor), with the teams they manage set for row-level
 * security (`app.managed_team_ids`): the policies then show the same rows `resolveScope` allows.
 */
export function asViewer<T>(db: Database, actor: Actor, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  return asActor(db, actor, async (tx) => {
    await tx.execute(
      sql`select set_config('app.managed_team_ids', ${managedTeamIds(actor).join(',')}, true)`,
    );
    return fn(tx);
  });
}
