import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, gt, isNull } from 'drizzle-orm';
import { userSessions } from '../../db/schema.js';

/**
 * Access tokens are stateless for other services; identity itself also refuses one whose session
 * was revoked (logout, password reset), so account routes stop working at once.
 */
export async function assertLiveSession(tx: Transaction, sessionId: string | null): Promise<void> {
  if (!sessionId) throw new DomainError('unauthorized', 'The access token has no session.');
  const [live] = await tx
    .select({ id: userSessions.id })
    .from(userSessions)
    .where(
      and(
        eq(userSessions.id, sessionId),
        isNull(userSessions.revokedAt),
        gt(userSessions.expiresAt, new Date()),
      ),
    );
  if (!live) throw new DomainError('unauthorized', 'This session has ended; sign in again.');
}
