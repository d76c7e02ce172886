import { appendEvent } from '@conduit/bus';
import type { Actor } from '@conduit/contracts';
import { identityEvents } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { and, eq, inArray, isNull } from 'drizzle-orm';
import { outbox, refreshTokens, userSessions } from '../../db/schema.js';
import type { ClientInfo } from '../../deps.js';
import { recordActivity } from '../audit-trail/record-activity.js';

export type RevocationReason =
  | 'logout'
  | 'revoked_by_user'
  | 'refresh_token_reuse'
  | 'password_reset'
  | 'membership_changed';

/**
 * Revokes live sessions (all of the user's, or the listed ones) with their refresh families, and
 * records `identity.session.revoked` for each. Returns the revoked session ids, which the caller
 * forgets in `deps.liveSessions` (other replicas forget them when the event arrives). Runs as the user.
 */
export async function revokeSessions(
  tx: Transaction,
  userId: string,
  reason: RevocationReason,
  actor: Actor | null,
  sessionIds?: string[],
  client?: ClientInfo,
): Promise<string[]> {
  const scope = sessionIds
    ? and(eq(userSessions.userId, userId), inArray(userSessions.id, sessionIds))
    : eq(userSessions.userId, userId);
  const revoked = await tx
    .update(userSessions)
    .set({ revokedAt: new Date(), revokedReason: reason })
    .where(and(scope, isNull(userSessions.revokedAt)))
    .returning({ id: userSessions.id });
  const ids = revoked.map((row) => row.id);
  if (ids.length === 0) return ids;
  await tx
    .update(refreshTokens)
    .set({ revokedAt: new Date() })
    .where(and(inArray(refreshTokens.sessionId, ids), isNull(refreshTokens.revokedAt)));
  for (const sessionId of ids) {
    await appendEvent(tx, outbox, identityEvents.sessionRevoked, { userId, sessionId, reason }, actor);
    await recordActivity(tx, {
      userId,
      organizationId: actor?.orgId ?? null,
      type: reason === 'logout' ? 'logout' : 'session_revoked',
      client,
      metadata: { sessionId, reason },
    });
  }
  return ids;
}
