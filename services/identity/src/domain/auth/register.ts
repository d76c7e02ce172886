import { randomBytes } from 'node:crypto';
import { appendEvent } from '@conduit/bus';
import { identityEvents } from '@conduit/contracts';
import { isUniqueViolation, uuidv7, withActor } from '@conduit/db';
import { DomainError } from '@conduit/service-kit';
import { organizations, outbox, userPreferences, users } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { assertStrongPassword } from '../passwords/password-policy.js';
import { startSession } from '../sessions/start-session.js';
import { toUserDto } from '../users/user-dto.js';
import { usernameFromEmail } from '../users/username.js';

export interface RegisterInput {
  email: string;
  password: string;
  username?: string | undefined;
  name?: string | undefined;
}

/**
 * Creates a user with a personal organization and signs them in.
 * Throws conflict when the email (case-insensitively) or the chosen username is taken, and
 * unprocessable when the password is too common.
 */
export async function register(deps: IdentityDeps, input: RegisterInput, client: ClientInfo) {
  assertStrongPassword(input.password, input.email);
  const passwordHash = await deps.hasher.hash(input.password);
  for (let attempt = 0; ; attempt++) {
    const username = input.username ?? usernameFromEmail(input.email, attempt > 0);
    try {
      return await createAccount(deps, { ...input, username }, passwordHash, client);
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_lower_key')) {
        throw new DomainError('conflict', 'An account with this email already exists; sign in instead.');
      }
      if (isUniqueViolation(error, 'users_username_lower_key')) {
        if (input.username) throw new DomainError('conflict', 'This username is taken; choose another.');
        if (attempt < 3) continue;
      }
      throw error;
    }
  }
}

async function createAccount(
  deps: IdentityDeps,
  input: RegisterInput & { username: string },
  passwordHash: string,
  client: ClientInfo,
) {
  const userId = uuidv7();
  const organizationId = uuidv7();
  const actor = { userId, sessionId: null, orgId: organizationId };
  return withActor(deps.db, actor, async (tx) => {
    await tx.insert(organizations).values({
      id: organizationId,
      name: input.name ?? input.username,
      slug: `${input.username.toLowerCase()}-${randomBytes(3).toString('hex')}`,
      personal: true,
    });
    const [user] = await tx
      .insert(users)
      .values({
        id: userId,
        organizationId,
        email: input.email,
        username: input.username,
        name: input.name ?? null,
        passwordHash,
      })
      .returning();
    await tx.insert(userPreferences).values({ id: uuidv7(), userId, preferences: {} });
    const session = await startSession(tx, deps, user!, client);
    const sessionActor = { ...actor, sessionId: session.sessionId };
    await appendEvent(
      tx,
      outbox,
      identityEvents.userRegistered,
      {
        userId,
        organizationId,
        email: input.email,
        username: input.username,
        name: input.name ?? null,
      },
      sessionActor,
    );
    await appendEvent(
      tx,
      outbox,
      identityEvents.userLoggedIn,
      { userId, sessionId: session.sessionId, method: 'registration' },
      sessionActor,
    );
    const { sessionId: _, ...tokens } = session;
    return { user: toUserDto(user!), ...tokens };
  });
}
