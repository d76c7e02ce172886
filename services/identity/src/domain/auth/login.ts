import { appendEvent } from '@conduit/bus';
import { identityEvents } from '@conduit/contracts';
import { withActor, withoutActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { outbox, users } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { grantBootstrapAdmin } from '../access/bootstrap-admin.js';
import { recordActivity } from '../audit-trail/record-activity.js';
import { startSession } from '../sessions/start-session.js';
import { toUserDto } from '../users/user-dto.js';
import { findLogin, type LoginRecord } from './find-login.js';
import { knownDeviceSession } from './known-device.js';

/** The one answer to every failed login, so that it tells nothing about which part was wrong. */
export const invalidCredentials = () =>
  new DomainError('invalid_credentials', 'The email or password is incorrect.');

/**
 * A refused sign-in, in one transaction: in the account's activity when the address is an
 * account's (with the client's address), and as identity.user.login_failed either way, which
 * names the account or nobody: never the address typed, never the password.
 */
async function recordRefusal(
  deps: IdentityDeps,
  record: LoginRecord | undefined,
  client: ClientInfo,
  reason: 'invalid_credentials' | 'throttled',
  metadata: Record<string, unknown>,
) {
  await withoutActor(deps.db, async (tx) => {
    if (record)
      await recordActivity(tx, {
        userId: record.user_id,
        organizationId: record.organization_id,
        type: reason === 'throttled' ? 'login_throttled' : 'login_failed',
        client,
        metadata,
      });
    await appendEvent(
      tx,
      outbox,
      identityEvents.userLoginFailed,
      {
        userId: record?.user_id ?? null,
        organizationId: record?.organization_id ?? null,
        method: 'password',
        reason,
      },
      null,
    );
  });
}

/**
 * Signs a user in with email and password; `refreshToken`, the current refresh token of a session
 * of this account still live on the device, makes it a known device (see LoginThrottle). Throws
 * invalid_credentials (the same body and about the same time whether or not the email exists, or
 * the account is disabled) and rate_limited while the login throttle holds. Every refused attempt
 * on an account is recorded in its activity, and every refused attempt as an event.
 */
export async function login(
  deps: IdentityDeps,
  input: { email: string; password: string; refreshToken?: string | undefined },
  client: ClientInfo,
) {
  const record = await findLogin(deps.db, input.email);
  const device = record && (await knownDeviceSession(deps.db, record.user_id, input.refreshToken));
  const attempt = { method: 'password', knownDevice: Boolean(device) };
  const refusal = await deps.throttle.check(input.email, client.ip, device);
  if (refusal) {
    await recordRefusal(deps, record, client, 'throttled', { ...attempt, brake: refusal.brake });
    throw new DomainError('rate_limited', 'Too many failed sign-ins; wait before trying again.', {
      retryAfterSeconds: refusal.retryAfterMs / 1000,
    });
  }
  const ok = await deps.hasher.verify(record?.password_hash ?? null, input.password);
  if (!ok || !record?.active) {
    await deps.throttle.recordFailure(input.email, client.ip, device);
    await recordRefusal(deps, record, client, 'invalid_credentials', attempt);
    throw invalidCredentials();
  }
  await deps.throttle.recordSuccess(input.email, client.ip, device);
  const rehash = deps.hasher.needsRehash(record.password_hash)
    ? await deps.hasher.hash(input.password)
    : null;
  const actor = { userId: record.user_id, sessionId: null, orgId: record.organization_id };
  return withActor(deps.db, actor, async (tx) => {
    const [user] = rehash
      ? await tx
          .update(users)
          .set({ passwordHash: rehash, updatedAt: new Date() })
          .where(eq(users.id, record.user_id))
          .returning()
      : await tx.select().from(users).where(eq(users.id, record.user_id));
    await grantBootstrapAdmin(tx, deps, user!);
    const { sessionId, ...tokens } = await startSession(tx, deps, user!, client);
    await recordActivity(tx, {
      userId: user!.id,
      organizationId: user!.organizationId,
      type: 'login',
      client,
      metadata: { sessionId, ...attempt },
    });
    await appendEvent(
      tx,
      outbox,
      identityEvents.userLoggedIn,
      { userId: user!.id, sessionId, method: 'password' },
      { ...actor, sessionId },
    );
    return { user: toUserDto(user!), ...tokens };
  });
}
