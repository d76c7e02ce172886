import { type Database, withActor } from '@conduit/db';
import { and, eq, gt, isNull } from 'drizzle-orm';
import { refreshTokens, userSessions } from '../../db/schema.js';
import { hashOpaqueToken } from '../tokens/opaque-token.js';
import { findTokenOwner } from './find-login.js';

/**
 * The session of a known device: one that presents the current refresh token (unspent, unexpired,
 * not revoked) of a live session of `userId`. Such a device signs in past the lock-out, judged by
 * its own failure counter only; anything else is an unknown device (undefined), whoever it is.
 */
export async function knownDeviceSession(
  db: Database,
  userId: string,
  refreshToken: string | undefined,
): Promise<string | undefined> {
  if (!refreshToken) return undefined;
  const tokenHash = hashOpaqueToken(refreshToken);
  if ((await findTokenOwner(db, 'refresh', tokenHash)) !== userId) return undefined;
  const now = new Date();
  const [live] = await withActor(db, { userId }, (tx) =>
    tx
      .select({ sessionId: userSessions.id })
      .from(refreshTokens)
      .innerJoin(userSessions, eq(userSessions.id, refreshTokens.sessionId))
      .where(
        and(
          eq(refreshTokens.tokenHash, tokenHash),
          isNull(refreshTokens.usedAt),
          isNull(refreshTokens.revokedAt),
          gt(refreshTokens.expiresAt, now),
          isNull(userSessions.revokedAt),
          gt(userSessions.expiresAt, now),
        ),
      ),
  );
  return live?.sessionId;
}
