import { asActor, readAsActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { eq } from 'drizzle-orm';
import { userPreferences } from '../../db/schema.js';
import type { IdentityDeps } from '../../deps.js';
import { assertLiveSession, assertLiveSessionForRead } from '../sessions/live-session.js';

/** What a preferences document may hold: the route refuses more, by the shared storable rule. */
export const PREFERENCES_LIMITS = { maxDepth: 32, maxBytes: 64 * 1024 };

/** The caller's preferences (an empty document before the first put), in one round trip. */
export async function getPreferences(deps: IdentityDeps, actor: Actor) {
  const [, [row]] = await readAsActor(deps.db, actor, (tx) =>
    Promise.all([
      assertLiveSessionForRead(deps.liveSessions, tx, actor.sessionId),
      tx.select().from(userPreferences).where(eq(userPreferences.userId, actor.userId)),
    ]),
  );
  return {
    preferences: (row?.preferences ?? {}) as Record<string, unknown>,
    updatedAt: (row?.updatedAt ?? new Date()).toISOString(),
  };
}

/**
 * Replaces the caller's preferences document, which the caller has checked against
 * PREFERENCES_LIMITS (storableJsonObject).
 */
export async function putPreferences(deps: IdentityDeps, actor: Actor, preferences: Record<string, unknown>) {
  return asActor(deps.db, actor, async (tx) => {
    await assertLiveSession(tx, actor.sessionId);
    const now = new Date();
    const [row] = await tx
      .insert(userPreferences)
      .values({ id: uuidv7(), userId: actor.userId, preferences })
      .onConflictDoUpdate({ target: userPreferences.userId, set: { preferences, updatedAt: now } })
      .returning();
    return {
      preferences: row!.preferences as Record<string, unknown>,
      updatedAt: row!.updatedAt.toISOString(),
    };
  });
}
