import type { Actor } from '@conduit/contracts';
import { uuidv7, withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { userPreferences } from '../../db/schema.js';
import type { IdentityDeps } from '../../deps.js';
import { assertLiveSession } from '../sessions/live-session.js';

export const MAX_PREFERENCES_BYTES = 64 * 1024;
export const MAX_PREFERENCES_DEPTH = 32;

export async function getPreferences(deps: IdentityDeps, actor: Actor) {
  return withActor(deps.db, actor, async (tx) => {
    await assertLiveSession(tx, actor.sessionId);
    const [row] = await tx.select().from(userPreferences).where(eq(userPreferences.userId, actor.userId));
    return {
      preferences: (row?.preferences ?? {}) as Record<string, unknown>,
      updatedAt: (row?.updatedAt ?? new Date()).toISOString(),
    };
  });
}

/**
 * Replaces the caller's preferences document. Throws unprocessable above 64 KiB, when nested more
 * than MAX_PREFERENCES_DEPTH levels, or when it holds text that jsonb cannot store.
 */
export async function putPreferences(deps: IdentityDeps, actor: Actor, preferences: Record<string, unknown>) {
  const unstorable = whyUnstorable(preferences);
  if (unstorable) throw new DomainError('unprocessable', unstorable);
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
    return {
      preferences: row!.preferences as Record<string, unknown>,
      updatedAt: row!.updatedAt.toISOString(),
    };
  });
}

/** Postgres refuses U+0000 and unpaired surrogates in jsonb text. */
const storableText = (text: string) => !text.includes('\0') && !/\p{Cs}/u.test(text);

/**
 * Why a document cannot be stored as jsonb, if it cannot. Walks without recursion and checks the
 * depth before anything (JSON.stringify, Postgres) recurses into a hostile document.
 */
function whyUnstorable(document: Record<string, unknown>): string | undefined {
  const pending: [value: unknown, depth: number][] = [[document, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, depth] = next;
    if (typeof value === 'string' && !storableText(value))
      return 'Preferences must not contain U+0000 or unpaired surrogates.';
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_PREFERENCES_DEPTH)
      return `Preferences may nest at most ${MAX_PREFERENCES_DEPTH} levels deep.`;
    for (const [key, child] of Object.entries(value)) {
      if (!storableText(key)) return 'Preferences must not contain U+0000 or unpaired surrogates.';
      pending.push([child, depth + 1]);
    }
  }
  return undefined;
}
