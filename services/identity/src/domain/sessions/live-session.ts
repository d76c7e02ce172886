import type { Database, Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, gt, isNull } from 'drizzle-orm';
import { userSessions } from '../../db/schema.js';

/**
 * How long a session found live is taken as live without asking Postgres again, on read-only
 * routes. A session revoked by this process is forgotten at once, and by another replica as soon
 * as its `identity.session.revoked` event arrives; this bounds the rest (an event missed while the
 * bus was down, a row changed by hand): a revoked session stops reading within 2 s.
 */
export const LIVE_SESSION_CACHE_MS = 2_000;
/** Sessions remembered at most: beyond it the oldest are dropped (they are asked for again). */
const MAX_REMEMBERED = 10_000;

/** Sessions recently found live, each until its cache lifetime or its own expiry, whichever is first. */
export class LiveSessionCache {
  private readonly liveUntil = new Map<string, number>();

  constructor(private readonly lifetimeMs = LIVE_SESSION_CACHE_MS) {}

  isLive(sessionId: string, now = Date.now()): boolean {
    const until = this.liveUntil.get(sessionId);
    if (until === undefined) return false;
    if (until > now) return true;
    this.liveUntil.delete(sessionId);
    return false;
  }

  remember(sessionId: string, expiresAt: Date, now = Date.now()): void {
    if (this.liveUntil.size >= MAX_REMEMBERED) {
      // Maps iterate in insertion order: the first keys are the oldest entries.
      for (const key of [...this.liveUntil.keys()].slice(0, MAX_REMEMBERED / 10)) this.liveUntil.delete(key);
    }
    this.liveUntil.delete(sessionId);
    this.liveUntil.set(sessionId, Math.min(now + this.lifetimeMs, expiresAt.getTime()));
  }

  /** Called for every session that ends: the next request of each asks Postgres again. */
  forget(sessionIds: Iterable<string>): void {
    for (const id of sessionIds) this.liveUntil.delete(id);
  }
}

/**
 * Access tokens are stateless for other services; identity itself also refuses one whose session
 * was revoked (logout, password reset), so account routes stop working at once.
 */
export async function assertLiveSession(tx: Transaction, sessionId: string | null): Promise<void> {
  if (!sessionId) throw new DomainError('unauthorized', 'The access token has no session.');
  await readLiveSession(tx, sessionId);
}

/**
 * assertLiveSession for routes that only read: a session found live in the last
 * LIVE_SESSION_CACHE_MS is not asked for again (one statement less per request). Routes that
 * change anything keep asking Postgres every time.
 */
export async function assertLiveSessionForRead(
  cache: LiveSessionCache,
  tx: Database | Transaction,
  sessionId: string | null,
): Promise<void> {
  if (!sessionId) throw new DomainError('unauthorized', 'The access token has no session.');
  if (cache.isLive(sessionId)) return;
  const live = await readLiveSession(tx, sessionId);
  cache.remember(sessionId, live.expiresAt);
}

async function readLiveSession(tx: Database | Transaction, sessionId: string) {
  const [live] = await tx
    .select({ id: userSessions.id, expiresAt: userSessions.expiresAt })
    .from(userSessions)
    .where(
      and(
        eq(userSessions.id, sessionId),
        isNull(userSessions.revokedAt),
        gt(userSessions.expiresAt, new Date()),
      ),
    );
  if (!live) throw new DomainError('unauthorized', 'This session has ended; sign in again.');
  return live;
}
