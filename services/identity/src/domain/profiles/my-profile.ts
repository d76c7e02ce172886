import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { profiles, users } from '../../db/schema.js';
import type { IdentityDeps } from '../../deps.js';
import { creditBalanceOf } from '../credits/credit-balance.js';
import { assertLiveSession, assertLiveSessionForRead } from '../sessions/live-session.js';

export interface ProfileView {
  userId: string;
  /** The name shown in chats: the one chosen here, else the account's name, else the username. */
  displayName: string;
  /** Whether displayName was chosen here (false: it falls back to the account's name). */
  displayNameSet: boolean;
  /** AI credits beside the plan's monthly quota, spent once the quota is used up. */
  credits: number;
  updatedAt: string;
}

/** The caller's profile with their credit balance. Throws not_found when the account is gone. */
export async function getMyProfile(deps: IdentityDeps, actor: Actor): Promise<ProfileView> {
  return asActor(deps.db, actor, async (tx) => {
    await assertLiveSessionForRead(deps.liveSessions, tx, actor.sessionId);
    return loadProfile(tx, actor.userId);
  });
}

/**
 * Sets (or, with null, clears) the caller's display name; the profile row is made on first use.
 * Throws not_found when the account is gone.
 */
export async function updateMyProfile(
  deps: IdentityDeps,
  actor: Actor,
  changes: { displayName: string | null },
): Promise<ProfileView> {
  return asActor(deps.db, actor, async (tx) => {
    await assertLiveSession(tx, actor.sessionId);
    await tx
      .insert(profiles)
      .values({ userId: actor.userId, displayName: changes.displayName })
      .onConflictDoUpdate({
        target: profiles.userId,
        set: { displayName: changes.displayName, updatedAt: new Date() },
      });
    return loadProfile(tx, actor.userId);
  });
}

async function loadProfile(tx: Transaction, userId: string): Promise<ProfileView> {
  const [row] = await tx
    .select({
      name: users.name,
      username: users.username,
      userUpdatedAt: users.updatedAt,
      displayName: profiles.displayName,
      profileUpdatedAt: profiles.updatedAt,
    })
    .from(users)
    .leftJoin(profiles, eq(profiles.userId, users.id))
    .where(eq(users.id, userId));
  if (!row) throw new DomainError('not_found', 'This account no longer exists.');
  const updatedAt =
    row.profileUpdatedAt && row.profileUpdatedAt > row.userUpdatedAt
      ? row.profileUpdatedAt
      : row.userUpdatedAt;
  return {
    userId,
    displayName: row.displayName ?? row.name ?? row.username,
    displayNameSet: row.displayName !== null,
    credits: await creditBalanceOf(tx, { type: 'user', id: userId }),
    updatedAt: updatedAt.toISOString(),
  };
}
