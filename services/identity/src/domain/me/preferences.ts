import type { Actor } from '@conduit/contracts';
import { uuidv7, withActor } from '@conduit/db';
import { DomainError } from '@conduit/service-kit';
import { eq } from 'drizzle-orm';
import { userPreferences } from '../../db/schema.js';
import type { IdentityDeps } from '../../deps.js';
import { assertLiveSession } from '../sessions/live-session.js';

export const MAX_PREFERENCES_BYTES = 64 * 1024;

export async function getPreferences(deps: IdentityDeps, actor: Actor) {
  return withActor(deps.db, actor, async (tx) => {
    await assertLiveSession(tx, actor.sessionId);
    const [row] = await tx.select().from(userPreferences).where(eq(userPreferences.userId, actor.userId));
    return { preferences: (row?.preferences ?? {}) as Record<string, unknown>, updatedAt: (row?.updatedAt ?? new Date()).toISOString() };
  });
}

/** Replaces the caller's preferences document. Throws unprocessable above 64 KiB. */
export async function putPreferences(deps: IdentityDeps, actor: Actor, preferences: Record<string, unknown>) {
  if (Buffer.byteLength(JSON.stringify(preferences)) > MAX_PREFERENCES_BYTES) {
    throw new DomainError('unprocessable', 'Preferences are limited to 64 KiB of JSON.');
  }
  return withActor(deps.db, actor, async (tx) => {
    await assertLiveSession(tx, actor.sessionId);
    const now = new Date();
    const [row] = await tx
      .insert(userPreferences)
      .values({ id: uuidv7(), userId: actor.userId, preferences })
      .onConflictDoUpdate({ target: userPreferences.userId, set: { preferences, updatedAt: now } })
      .returning();
    return { preferences: row!.preferences as Record<string, unknown>, updatedAt: row!.updatedAt.toISOString() };
  });
}
