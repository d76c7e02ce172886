import { type Bus, type RpcServer, serveRpc } from '@conduit/bus';
import { inviteToTeamAsUser } from '@conduit/contracts';
import type { IdentityDeps } from '../deps.js';
import { inviteAsUser } from '../domain/teams/invite-as-user.js';

/**
 * Serves `rpc.identity.teams.invite` in the `identity` queue group: a bot script's ADD MEMBER, an
 * invite sent as the bot's owner with the rights they have now.
 */
export function serveTeamInviteRpc(bus: Bus, deps: IdentityDeps): RpcServer {
  return serveRpc(
    bus,
    inviteToTeamAsUser,
    'identity',
    (request) => inviteAsUser(deps, request),
    (error) => deps.log.error({ err: error }, `${inviteToTeamAsUser.subject} failed`),
  );
}
