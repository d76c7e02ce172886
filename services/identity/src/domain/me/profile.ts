import { asActor, readAsActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { isUniqueViolation } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { users } from '../../db/schema.js';
import type { IdentityDeps } from '../../deps.js';
import { assertLiveSession, assertLiveSessionForRead } from '../sessions/live-session.js';
import { toUserDto, type UserDtoColumns } from '../users/user-dto.js';

/**
 * The caller's account, in one round trip: the session check (when not cached) and the row are
 * sent together. Throws unauthorized when the session has ended, not_found when the user is gone.
 */
export async function getMe(deps: IdentityDeps, actor: Actor) {
  const [, [user]] = await readAsActor(deps.db, actor, (tx, sql) =>
    Promise.all([
      assertLiveSessionForRead(deps.liveSessions, tx, actor.sessionId),
      // Hand-written rather than built by drizzle on every call: the hottest read of the API
      // (building the select was most of drizzle's 18 % of identity's CPU on it; issue 17).
      sql<(Omit<UserDtoColumns, 'createdAt'> & { createdAt: string })[]>`select id, email, username,
        name, organization_id as "organizationId", active, created_at as "createdAt"
        from identity.users where id = ${actor.userId}`,
    ]),
  );
  if (!user) throw new DomainError('not_found', 'This account no longer exists.');
  // As drizzle reads a timestamptz: the driver's text, parsed by Date.
  return toUserDto({ ...user, createdAt: new Date(user.createdAt) });
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
