import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest } from '@conduit/db';
import { and, eq, getTableColumns, gt, isNull } from 'drizzle-orm';
import { userSessions } from '../../db/schema.js';
import type { IdentityDeps } from '../../deps.js';
import { assertLiveSession } from './live-session.js';

/**
 * The caller's live sessions, newest first (uuidv7 ids); `current` marks the one making the
 * request. Throws bad_request for a cursor this list did not give.
 */
export async function listSessions(deps: IdentityDeps, actor: Actor, query: PageRequest) {
  const page = keysetPage({ by: [userSessions.id], order: 'desc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await assertLiveSession(tx, actor.sessionId);
    const rows = await tx
      .select({ ...getTableColumns(userSessions), pageKey: page.key })
      .from(userSessions)
      .where(
        and(
          eq(userSessions.userId, actor.userId),
          isNull(userSessions.revokedAt),
          gt(userSessions.expiresAt, new Date()),
          page.after,
        ),
      )
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, (row) => ({
      id: row.id,
      device: row.device ?? 'Unknown device',
      userAgent: row.userAgent,
      ip: row.ip,
      createdAt: row.createdAt.toISOString(),
      lastActiveAt: row.lastActiveAt.toISOString(),
      expiresAt: row.expiresAt.toISOString(),
      current: row.id === actor.sessionId,
    }));
  });
}
