import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { isUniqueViolation } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { users } from '../../db/schema.js';
import type { IdentityDeps } from '../../deps.js';
import { assertLiveSession, assertLiveSessionForRead } from '../sessions/live-session.js';
import { toUserDto } from '../users/user-dto.js';

export async function getMe(deps: IdentityDeps, actor: Actor) {
  return asActor(deps.db, actor, async (tx) => {
    await assertLiveSessionForRead(deps.liveSessions, tx, actor.sessionId);
    const [user] = await tx.select().from(users).where(eq(users.id, actor.userId));
    if (!user) throw new DomainError('not_found', 'This account no longer exists.');
    return toUserDto(user);
  });
}

/** Changes the caller's name or username. Throws conflict when the username is taken. */
export async function updateMe(
  deps: IdentityDeps,
  actor: Actor,
  changes: { name?: string | null | undefined; username?: string | undefined },
) {
  try {
    return await asActor(deps.db, actor, async (tx) => {
      await assertLiveSession(tx, actor.sessionId);
      const [user] = await tx
        .update(users)
        .set({ ...changes, updatedAt: new Date() })
        .where(eq(users.id, actor.userId))
        .returning();
      if (!user) throw new DomainError('not_found', 'This account no longer exists.');
      return toUserDto(user);
    });
  } catch (error) {
    if (isUniqueViolation(error, 'users_username_lower_key'))
      throw new DomainError('conflict', 'This username is taken; choose another.');
    throw error;
  }
}
