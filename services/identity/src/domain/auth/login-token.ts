import { appendEvent } from '@conduit/bus';
import { identityEvents } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { outbox, users } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { recordActivity } from '../audit-trail/record-activity.js';
import { startSession } from '../sessions/start-session.js';
import { toUserDto } from '../users/user-dto.js';
import { issueOneTimeToken, redeemOneTimeToken } from './one-time-tokens.js';

/** Mails a one-time sign-in link (magic link) to an active account; answers the same for any email. */
export async function requestLoginToken(
  deps: IdentityDeps,
  email: string,
  client: ClientInfo,
): Promise<void> {
  const minutes = Math.round(deps.env.LOGIN_TOKEN_TTL / 60_000);
  await issueOneTimeToken(deps, 'login', email, client, (token) => ({
    template: 'identity.login_link',
    variables: { token, loginUrl: `${deps.env.PUBLIC_URL}/login?token=${token}`, minutes: String(minutes) },
  }));
}

/** Signs in with a one-time token. Throws unauthorized for an unknown, expired or used token. */
export async function redeemLoginToken(deps: IdentityDeps, token: string, client: ClientInfo) {
  const result = await redeemOneTimeToken(deps, 'login', token, async (tx, userId) => {
    const [user] = await tx.select().from(users).where(eq(users.id, userId));
    if (!user?.active) return undefined;
    const { sessionId, ...tokens } = await startSession(tx, deps, user, client);
    await recordActivity(tx, {
      userId,
      organizationId: user.organizationId,
      type: 'login',
      client,
      metadata: { sessionId, method: 'login_token' },
    });
    await appendEvent(
      tx,
      outbox,
      identityEvents.userLoggedIn,
      { userId, sessionId, method: 'login_token' },
      {
        userId,
        sessionId,
        orgId: user.organizationId,
      },
    );
    return { user: toUserDto(user), ...tokens };
  });
  if (!result)
    throw new DomainError(
      'unauthorized',
      'The sign-in token is invalid, expired or already used; ask for a new one.',
    );
  return result;
}
