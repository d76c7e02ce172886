import { requestRpc } from '@conduit/bus';
import { teamMembership } from '@conduit/contracts';
import type { AnalyticsDeps } from '../deps.js';

/** How long analytics waits for identity before it gives up. */
const IDENTITY_TIMEOUT_MS = 5_000;

/**
 * `userId`'s role in `teamId` (null: not a member), and which of `emails` are members' addresses,
 * asked of identity (rpc.identity.teams.membership). Throws as the RPC does: each caller decides
 * what an identity that does not answer means for it.
 */
export function teamMembershipOf(
  deps: AnalyticsDeps,
  request: { teamId: string; userId: string; emails: readonly string[] },
) {
  return requestRpc(
    deps.bus,
    teamMembership,
    { teamId: request.teamId, userId: request.userId, emails: [...request.emails] },
    { timeoutMs: IDENTITY_TIMEOUT_MS },
  );
}
