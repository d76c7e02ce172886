import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { assertLiveSession } from './live-session.js';
import { revokeSessions } from './revoke-sessions.js';

/** Logout: ends the caller's own session and its refresh family. */
export async function logout(deps: IdentityDeps, actor: Actor, client: ClientInfo): Promise<void> {
  await asActor(deps.db, actor, async (tx) => {
    await assertLiveSession(tx, actor.sessionId);
    deps.liveSessions.forget(
      await revokeSessions(tx, actor.userId, 'logout', actor, [actor.sessionId!], client),
    );
  });
}

/**
 * Ends one of the caller's sessions (e.g. a lost phone). Throws not_found for a session that is
 * not theirs or already ended: row-level security makes the two indistinguishable, on purpose.
 */
export async function revokeOwnSession(
  deps: IdentityDeps,
  actor: Actor,
  sessionId: string,
  client: ClientInfo,
): Promise<void> {
  await asActor(deps.db, actor, async (tx) => {
    await assertLiveSession(tx, actor.sessionId);
    const revoked = await revokeSessions(tx, actor.userId, 'revoked_by_user', actor, [sessionId], client);
    deps.liveSessions.forget(revoked);
    if (revoked.length === 0) throw new DomainError('not_found', 'No such session.');
  });
}
