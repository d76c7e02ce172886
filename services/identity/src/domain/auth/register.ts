import { randomBytes } from 'node:crypto';
import { appendEvent } from '@conduit/bus';
import { identityEvents } from '@conduit/contracts';
import { isUniqueViolation, uuidv7, withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { sql } from 'drizzle-orm';
import { organizationMembers, organizations, outbox, userPreferences, users } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { grantBootstrapAdmin } from '../access/bootstrap-admin.js';
import { recordActivity } from '../audit-trail/record-activity.js';
import { acceptInviteInTransaction, findOpenInvite } from '../invites/invites.js';
import { assertStrongPassword } from '../passwords/password-policy.js';
import { startSession } from '../sessions/start-session.js';
import { readSettings } from '../settings/get-settings.js';
import { toUserDto } from '../users/user-dto.js';
import { usernameFromEmail } from '../users/username.js';

export interface RegisterInput {
  email: string;
  password: string;
  username?: string | undefined;
  name?: string | undefined;
  /** An invite sent to this email: the account joins that organization instead of getting its own. */
  inviteToken?: string | undefined;
}

/**
 * Creates a user and signs them in. Without an invite the user gets a personal organization they
 * own; with one they join the inviting organization (and team). Every user starts on the default
 * plan of the global settings. While sign-up is closed only an invite lets anyone in.
 * Throws forbidden when sign-up is closed and there is no invite, conflict when the email
 * (case-insensitively) or the chosen username is taken, unprocessable when the password is too
 * common, not_found for an unusable invite.
 */
export async function register(deps: IdentityDeps, input: RegisterInput, client: ClientInfo) {
  // Before the password is hashed: a closed sign-up costs nothing.
  if (!input.inviteToken && !(await readSettings(deps.db)).signUpOpen)
    throw new DomainError('forbidden', 'Sign-up is closed; ask for an invite.');
  assertStrongPassword(input.password, input.email);
  const invite = input.inviteToken ? await findOpenInvite(deps.db, input.inviteToken) : undefined;
  if (input.inviteToken && invite?.email.toLowerCase() !== input.email.toLowerCase()) {
    throw new DomainError(
      'not_found',
      'This invite does not exist, was used, or is not for this email address.',
    );
  }
  const passwordHash = await deps.hasher.hash(input.password);
  for (let attempt = 0; ; attempt++) {
    const username = input.username ?? usernameFromEmail(input.email, attempt > 0);
    try {
      return await createAccount(deps, { ...input, username }, passwordHash, invite, client);
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
  invite: { id: string; organization_id: string } | undefined,
  client: ClientInfo,
) {
  const userId = uuidv7();
  const inviteId = invite?.id;
  return withActor(deps.db, { userId }, async (tx) => {
    const organizationId = invite?.organization_id ?? uuidv7();
    const actor = { userId, sessionId: null, orgId: organizationId };
    if (!inviteId) {
      await tx.insert(organizations).values({
        id: organizationId,
        name: input.name ?? input.username,
        slug: `${input.username.toLowerCase()}-${randomBytes(3).toString('hex')}`,
        personal: true,
      });
    }
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
    if (inviteId) await acceptInviteInTransaction(tx, actor, inviteId, client);
    else await tx.insert(organizationMembers).values({ organizationId, userId, role: 'owner' });
    await tx.insert(userPreferences).values({ id: uuidv7(), userId, preferences: {} });
    await tx.execute(
      sql`select identity.ensure_subscription(${uuidv7()}, 'user', ${userId}, identity.default_plan_id())`,
    );
    await grantBootstrapAdmin(tx, deps, user!);
    await recordActivity(tx, { userId, organizationId, type: 'registered', client });

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
    if (!inviteId) {
      await appendEvent(
        tx,
        outbox,
        identityEvents.organizationMemberAdded,
        { organizationId, userId, role: 'owner' },
        sessionActor,
      );
    }
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
