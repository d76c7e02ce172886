import type { Actor } from '@conduit/contracts';
import { withActor } from '@conduit/db';
import type { IdentityDeps } from '../../deps.js';
import { loadAccess } from '../access/load-access.js';
import { assertLiveSessionForRead } from '../sessions/live-session.js';

/**
 * What the actor may do in the organization they act in, read now: the token's claims may be up
 * to its lifetime old, this answer shows a grant or revocation at once. Computed exactly as the
 * next refresh will put it in the token (as the user alone, without the token's admin flag).
 */
export async function getMyPermissions(deps: IdentityDeps, actor: Actor) {
  return withActor(deps.db, { userId: actor.userId, orgId: actor.orgId }, async (tx) => {
    await assertLiveSessionForRead(deps.liveSessions, tx, actor.sessionId);
    const access = await loadAccess(tx, actor.userId, actor.orgId);
    return {
      organizationId: actor.orgId,
      permissions: access.permissions,
      teams: access.teams,
      platformAdmin: access.platformAdmin,
    };
  });
}
