import { appendEvent } from '@conduit/bus';
import { identityEvents } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { and, eq, isNull } from 'drizzle-orm';
import { outbox, passwordResets, users } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { recordActivity } from '../audit-trail/record-activity.js';
import { assertStrongPassword } from '../passwords/password-policy.js';
import { revokeSessions } from '../sessions/revoke-sessions.js';
import { issueOneTimeToken, redeemOneTimeToken } from './one-time-tokens.js';

/** Mails a reset link to an active account; answers the same for any email. */
export async function requestPasswordReset(
  deps: IdentityDeps,
  email: string,
  client: ClientInfo,
): Promise<void> {
  const minutes = Math.round(deps.env.PASSWORD_RESET_TTL / 60_000);
  await issueOneTimeToken(deps, 'reset', email, client, (token) => ({
    template: 'identity.password_reset',
    variables: {
      token,
      resetUrl: `${deps.env.PUBLIC_URL}/reset-password?token=${token}`,
      minutes: String(minutes),
    },
  }));
}

/**
 * Sets a new password with a reset token: single use, within its lifetime. Signs the user out
 * everywhere and spends their other reset tokens. Throws bad_request for an unusable token and
 * unprocessable for a weak password.
 */
export async function confirmPasswordReset(
  deps: IdentityDeps,
  input: { token: string; password: string },
  client: ClientInfo,
): Promise<void> {
  const passwordHash = deps.hasher.hash(input.password);
  passwordHash.catch(() => {});
  const done = await redeemOneTimeToken(deps, 'reset', input.token, async (tx, userId) => {
    const [user] = await tx.select({ email: users.email }).from(users).where(eq(users.id, userId));
    assertStrongPassword(input.password, user!.email);
    await tx
      .update(users)
      .set({ passwordHash: await passwordHash, updatedAt: new Date() })
      .where(eq(users.id, userId));
    await tx
      .update(passwordResets)
      .set({ usedAt: new Date() })
      .where(and(eq(passwordResets.userId, userId), isNull(passwordResets.usedAt)));
    deps.liveSessions.forget(await revokeSessions(tx, userId, 'password_reset', null, undefined, client));
    await recordActivity(tx, { userId, type: 'password_changed', client, metadata: { via: 'reset_token' } });
    await appendEvent(tx, outbox, identityEvents.passwordReset, { userId }, null);
    return true;
  });
  if (!done)
    throw new DomainError(
      'bad_request',
      'The reset token is invalid, expired or already used; ask for a new one.',
    );
}
