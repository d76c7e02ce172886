import { identityEvents } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_SESSION_CACHE_MS } from '../../src/domain/sessions/live-session.js';
import {
  bearer,
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
} from '../fixtures/identity-harness.js';

// Read-only routes take a session found live in the last LIVE_SESSION_CACHE_MS as still live.
// These tests show the bounds of that: a session revoked here fails at once, one revoked by
// another replica as soon as its event arrives, and one revoked where no event tells (a row
// changed by hand) within the cache's lifetime.

let h: IdentityHarness;

beforeAll(async () => {
  h = await startIdentityHarness();
}, 60_000);
afterAll(() => h?.close(), 30_000);

const me = (accessToken: string) =>
  h.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(accessToken) });
const sessionOf = (accessToken: string) => decodeJwt(accessToken).sid as string;
const revokeByHand = (sessionId: string) =>
  h.admin`update identity.user_sessions set revoked_at = now(), revoked_reason = 'revoked_by_user' where id = ${sessionId}`;

async function firstRefusal(accessToken: string, withinMs: number): Promise<number> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const started = Date.now();
    if ((await me(accessToken)).statusCode === 401) return started;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`still answered after ${withinMs} ms`);
}

describe('live sessions on read-only routes', () => {
  it('a session logged out here stops working at once, though it was just found live', async () => {
    const account = await registerUser(h);
    expect((await me(account.accessToken)).statusCode).toBe(200);
    expect(h.deps.liveSessions.isLive(sessionOf(account.accessToken))).toBe(true);
    const logout = await h.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: bearer(account.accessToken),
    });
    expect(logout.statusCode).toBe(204);
    expect((await me(account.accessToken)).statusCode).toBe(401);
  });

  it('a session revoked where no event tells stops working within the cache lifetime', async () => {
    const account = await registerUser(h);
    expect((await me(account.accessToken)).statusCode).toBe(200);
    const foundLive = Date.now();
    await revokeByHand(sessionOf(account.accessToken));
    const refused = await firstRefusal(account.accessToken, LIVE_SESSION_CACHE_MS + 10_000);
    // The first request started after the entry lapsed is refused; polling adds at most a beat.
    expect(refused - foundLive).toBeLessThanOrEqual(LIVE_SESSION_CACHE_MS + 1_000);
  }, 30_000);

  it('a session revoked by another replica is forgotten when its event arrives', async () => {
    const account = await registerUser(h);
    const sessionId = sessionOf(account.accessToken);
    expect((await me(account.accessToken)).statusCode).toBe(200);
    const foundLive = Date.now();
    await revokeByHand(sessionId);
    const envelope = identityEvents.sessionRevoked.envelope.parse({
      id: uuidv7(),
      subject: identityEvents.sessionRevoked.subject,
      version: identityEvents.sessionRevoked.version,
      occurredAt: new Date().toISOString(),
      actor: null,
      data: { userId: account.user.id, sessionId, reason: 'revoked_by_user' },
    });
    h.bus.nc.publish(h.bus.subject(identityEvents.sessionRevoked.subject), JSON.stringify(envelope));
    await h.bus.nc.flush();
    // Before the entry would lapse by itself: the event is what ended it.
    const lapse = foundLive + LIVE_SESSION_CACHE_MS - 200;
    while (h.deps.liveSessions.isLive(sessionId) && Date.now() < lapse)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(h.deps.liveSessions.isLive(sessionId, lapse)).toBe(false);
    expect((await me(account.accessToken)).statusCode).toBe(401);
  });
});
