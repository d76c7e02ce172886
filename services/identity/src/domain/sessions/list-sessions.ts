import type { Actor } from '@conduit/contracts';
import { withActor } from '@conduit/db';
import { and, desc, eq, gt, isNull, lt } from 'drizzle-orm';
import { userSessions } from '../../db/schema.js';
import type { IdentityDeps } from '../../deps.js';
import { assertLiveSession } from './live-session.js';

/** The caller's live sessions, newest first; `current` marks the one making the request. */
export async function listSessions(
  deps: IdentityDeps,
  actor: Actor,
  page: { limit: number; cursor?: string | undefined },
) {
  return withActor(deps.db, actor, async (tx) => {
    await assertLiveSession(tx, actor.sessionId);
    const rows = await tx
      .select()
      .from(userSessions)
      .where(
        and(
          eq(userSessions.userId, actor.userId),
          isNull(userSessions.revokedAt),
          gt(userSessions.expiresAt, new Date()),
          page.cursor ? lt(userSessions.id, page.cursor) : undefined,
        ),
      )
      .orderBy(desc(userSessions.id))
      .limit(page.limit + 1);
    const items = rows.slice(0, page.limit).map((row) => ({
      id: row.id,
      device: row.device ?? 'Unknown device',
      userAgent: row.userAgent,
      ip: row.ip,
      createdAt: row.createdAt.toISOString(),
      lastActiveAt: row.lastActiveAt.toISOString(),
      expiresAt: row.expiresAt.toISOString(),
      current: row.id === actor.sessionId,
    }));
    return { items, nextCursor: rows.length > page.limit ? items[items.length - 1]!.id : null };
  });
}
