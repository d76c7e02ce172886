import { type Bus, type RpcServer, serveRpc } from '@conduit/bus';
import { teamMembership } from '@conduit/contracts';
import type { Database } from '@conduit/db';
import type { Logger } from '@conduit/service-kit';
import { membershipOf } from '../domain/teams/membership-of.js';

/**
 * Serves `rpc.identity.teams.membership` in the `identity` queue group: a user's current role in a
 * team (work they set up checks it on every run) and which addresses are the team's members'.
 */
export function serveTeamMembershipRpc(bus: Bus, db: Database, log: Logger): RpcServer {
  return serveRpc(
    bus,
    teamMembership,
    'identity',
    (request) => membershipOf(db, request),
    (error) => log.error({ err: error }, `${teamMembership.subject} failed`),
  );
}
