import { identityEvents } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthResult,
  bearer,
  type IdentityHarness,
  loginUser,
  registerUser,
  startIdentityHarness,
} from '../fixtures/identity-harness.js';

/**
 * Long enough that a spent token presented again in the same test is always within it, however
 * slow the machine; "after the grace window" is made by moving the use back (`outliveGrace`).
 */
const GRACE_MS = 30_000;
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

let h: IdentityHarness;

beforeAll(async () => {
  h = await startIdentityHarness({ env: { REFRESH_REUSE_GRACE: `${GRACE_MS}ms` } });
}, 60_000);
afterAll(() => h?.close(), 30_000);

const refresh = (refreshToken: string) =>
  h.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });
const me = (accessToken: string) =>
  h.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(accessToken) });
const sessions = (accessToken: string, query = '') =>
  h.app.inject({ method: 'GET', url: `/v1/auth/sessions${query}`, headers: bearer(accessToken) });
/** Moves the use of the user's spent refresh tokens back past the grace window, as if that much time had passed. */
const outliveGrace = (userId: string) =>
  h.admin`update identity.refresh_tokens set used_at = used_at - make_interval(secs => ${(GRACE_MS + 1000) / 1000})
    where user_id = ${userId} and used_at is not null`;

describe('POST /v1/auth/refresh', () => {
  describe('happy', () => {
    it('rotates: answers a new pair, and the new refresh token works', async () => {
      const account = await registerUser(h);
      const first = await refresh(account.refreshToken);
      expect(first.statusCode).toBe(200);
      const pair = first.json();
      expect(Object.keys(pair).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'tokenType']);
      expect(pair.refreshToken).not.toBe(account.refreshToken);
      expect(pair.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await me(pair.accessToken)).statusCode).toBe(200);

      const second = await refresh(pair.refreshToken);
      expect(second.statusCode).toBe(200);
      const rows =
        await h.admin`select parent_id, used_at from identity.refresh_tokens where user_id = ${account.user.id} order by id`;
      expect(rows).toHaveLength(3);
      expect(rows.slice(0, 2).every((row) => row.used_at !== null)).toBe(true);
      expect(rows[2]!.used_at).toBeNull();
    });

    it('stores only hashes of refresh tokens', async () => {
      const account = await registerUser(h);
      const [row] =
        await h.admin`select token_hash from identity.refresh_tokens where user_id = ${account.user.id}`;
      expect(row!.token_hash).toMatch(/^[0-9a-f]{64}$/);
      const [found] =
        await h.admin`select count(*)::int as n from identity.refresh_tokens where token_hash = ${account.refreshToken}`;
      expect(found!.n).toBe(0);
    });

    it('gives a spent token presented again within the grace window a sibling pair', async () => {
      const account = await registerUser(h);
      expect((await refresh(account.refreshToken)).statusCode).toBe(200);
      const again = await refresh(account.refreshToken);
      expect(again.statusCode).toBe(200);
      expect((await me(again.json().accessToken)).statusCode).toBe(200);
    });

    it('lets two concurrent refreshes of one token both succeed', async () => {
      const account = await registerUser(h);
      const [a, b] = await Promise.all([refresh(account.refreshToken), refresh(account.refreshToken)]);
      expect([a!.statusCode, b!.statusCode]).toEqual([200, 200]);
      expect(a!.json().refreshToken).not.toBe(b!.json().refreshToken);
      expect((await refresh(a!.json().refreshToken)).statusCode).toBe(200);
      expect((await refresh(b!.json().refreshToken)).statusCode).toBe(200);
    });
  });

  describe('security', () => {
    it('treats a spent token presented after the grace window as stolen: 401 and the whole session revoked', async () => {
      const account = await registerUser(h);
      const rotated = (await refresh(account.refreshToken)).json() as AuthResult;
      await outliveGrace(account.user.id);

      const replay = await refresh(account.refreshToken);
      expect(replay.statusCode).toBe(401);
      expect(replay.json()).toMatchObject({ code: 'unauthorized' });
      // The legitimate newest token dies with its family, and identity refuses the session's access tokens.
      expect((await refresh(rotated.refreshToken)).statusCode).toBe(401);
      expect((await me(rotated.accessToken)).statusCode).toBe(401);
      expect((await me(account.accessToken)).statusCode).toBe(401);

      const [session] =
        await h.admin`select revoked_at, revoked_reason from identity.user_sessions where user_id = ${account.user.id}`;
      expect(session).toMatchObject({ revoked_at: expect.any(Date), revoked_reason: 'refresh_token_reuse' });
      const [event] =
        await h.admin`select payload from identity.outbox where subject = 'identity.session.revoked' and payload->'data'->>'userId' = ${account.user.id}`;
      expect(identityEvents.sessionRevoked.envelope.parse(event!.payload).data).toMatchObject({
        reason: 'refresh_token_reuse',
      });
    });

    it("revokes only the family that was replayed, not the user's other devices", async () => {
      const account = await registerUser(h);
      const other = await loginUser(h, { email: account.email, password: account.password });
      await refresh(account.refreshToken);
      await outliveGrace(account.user.id);
      expect((await refresh(account.refreshToken)).statusCode).toBe(401);
      expect((await me(other.accessToken)).statusCode).toBe(200);
      expect((await refresh(other.refreshToken)).statusCode).toBe(200);
    });

    it.each([
      ['an unknown token', 'A'.repeat(43)],
      ['garbage', '!!!! not a token at all !!!!'],
      ['an access token', 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'],
    ])('answers 401 for %s', async (_label, token) => {
      const response = await refresh(token);
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toContain('application/problem+json');
    });

    it('answers 400 for a token that is too short or missing', async () => {
      expect((await refresh('short')).statusCode).toBe(400);
      expect((await h.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: {} })).statusCode).toBe(
        400,
      );
    });

    it('refuses the refresh token of a disabled account', async () => {
      const account = await registerUser(h);
      await h.admin`update identity.users set active = false where id = ${account.user.id}`;
      expect((await refresh(account.refreshToken)).statusCode).toBe(401);
    });
  });
});

describe('POST /v1/auth/logout', () => {
  it('answers 204 and ends the session: its refresh token and access token stop working', async () => {
    const account = await registerUser(h);
    const other = await loginUser(h, { email: account.email, password: account.password });
    const response = await h.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: bearer(account.accessToken),
    });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect((await refresh(account.refreshToken)).statusCode).toBe(401);
    expect((await me(account.accessToken)).statusCode).toBe(401);
    expect(
      (await h.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(account.accessToken) }))
        .statusCode,
    ).toBe(401);
    // The user's other device stays signed in.
    expect((await me(other.accessToken)).statusCode).toBe(200);

    const events =
      await h.admin`select payload from identity.outbox where subject = 'identity.session.revoked' and payload->'data'->>'userId' = ${account.user.id}`;
    expect(
      events.map((row) => identityEvents.sessionRevoked.envelope.parse(row.payload).data.reason),
    ).toEqual(['logout']);
  });

  it('answers 401 without an access token', async () => {
    expect((await h.app.inject({ method: 'POST', url: '/v1/auth/logout' })).statusCode).toBe(401);
  });
});

describe('/v1/auth/sessions', () => {
  describe('happy', () => {
    it('lists my devices with labels and marks the current one', async () => {
      const account = await registerUser(h);
      const firefox = await loginUser(h, {
        email: account.email,
        password: account.password,
        userAgent: FIREFOX_LINUX,
      });
      const chrome = await loginUser(h, {
        email: account.email,
        password: account.password,
        userAgent: CHROME_WINDOWS,
      });
      await h.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(account.accessToken) });

      const response = await sessions(firefox.accessToken);
      expect(response.statusCode).toBe(200);
      const { items, nextCursor } = response.json();
      expect(nextCursor).toBeNull();
      expect(items).toHaveLength(2);
      // Newest first.
      expect(items.map((s: { device: string }) => s.device)).toEqual([
        'Chrome on Windows',
        'Firefox on Linux',
      ]);
      expect(items.map((s: { current: boolean }) => s.current)).toEqual([false, true]);
      expect(items[0]).toEqual({
        id: expect.any(String),
        device: 'Chrome on Windows',
        userAgent: CHROME_WINDOWS,
        ip: '127.0.0.1',
        createdAt: expect.any(String),
        lastActiveAt: expect.any(String),
        expiresAt: expect.any(String),
        current: false,
      });
      const fromChrome = (await sessions(chrome.accessToken)).json();
      expect(fromChrome.items.map((s: { current: boolean }) => s.current)).toEqual([true, false]);
    });

    it('revokes another of my sessions with DELETE: 204, it disappears and its tokens stop working', async () => {
      const account = await registerUser(h);
      const phone = await loginUser(h, {
        email: account.email,
        password: account.password,
        userAgent: 'Mozilla/5.0 (Linux; Android 14) Chrome/126.0',
      });
      const before = (await sessions(account.accessToken)).json().items as { id: string; current: boolean }[];
      const phoneSession = before.find((s) => !s.current)!;

      const response = await h.app.inject({
        method: 'DELETE',
        url: `/v1/auth/sessions/${phoneSession.id}`,
        headers: bearer(account.accessToken),
      });
      expect(response.statusCode).toBe(204);
      const after = (await sessions(account.accessToken)).json().items as { id: string }[];
      expect(after.map((s) => s.id)).not.toContain(phoneSession.id);
      expect(after).toHaveLength(before.length - 1);
      expect((await refresh(phone.refreshToken)).statusCode).toBe(401);
      expect((await me(phone.accessToken)).statusCode).toBe(401);
      // Revoking it again: it is no longer a live session of mine.
      const again = await h.app.inject({
        method: 'DELETE',
        url: `/v1/auth/sessions/${phoneSession.id}`,
        headers: bearer(account.accessToken),
      });
      expect(again.statusCode).toBe(404);
    });

    it('pages with limit and cursor, newest first, without gaps or repeats', async () => {
      const account = await registerUser(h);
      for (let i = 0; i < 3; i++) await loginUser(h, { email: account.email, password: account.password });
      const all = (await sessions(account.accessToken, '?limit=100')).json();
      expect(all.items).toHaveLength(4);

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const response = await sessions(account.accessToken, `?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        const page = response.json() as { items: { id: string }[]; nextCursor: string | null };
        expect(page.items).toHaveLength(1);
        const [only] = page.items;
        seen.push(only!.id);
        cursor = page.nextCursor;
        expect(cursor === null).toBe(seen.length === 4);
      } while (cursor);
      expect(seen).toEqual(all.items.map((s: { id: string }) => s.id));
    });
  });

  describe('security', () => {
    it("answers 404, not 403, for another user's session, and leaves it alive", async () => {
      const alice = await registerUser(h);
      const bob = await registerUser(h);
      const bobSession = (await sessions(bob.accessToken)).json().items[0].id as string;
      const response = await h.app.inject({
        method: 'DELETE',
        url: `/v1/auth/sessions/${bobSession}`,
        headers: bearer(alice.accessToken),
      });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'not_found' });
      expect((await me(bob.accessToken)).statusCode).toBe(200);
      expect((await refresh(bob.refreshToken)).statusCode).toBe(200);
    });

    it('answers 404 for a session id that does not exist, and 400 for one that is not a uuid', async () => {
      const account = await registerUser(h);
      expect(
        (
          await h.app.inject({
            method: 'DELETE',
            url: `/v1/auth/sessions/${uuidv7()}`,
            headers: bearer(account.accessToken),
          })
        ).statusCode,
      ).toBe(404);
      expect(
        (
          await h.app.inject({
            method: 'DELETE',
            url: '/v1/auth/sessions/not-a-uuid',
            headers: bearer(account.accessToken),
          })
        ).statusCode,
      ).toBe(400);
    });

    it("never lists another user's sessions", async () => {
      const alice = await registerUser(h);
      const bob = await registerUser(h);
      const aliceIds = (await sessions(alice.accessToken)).json().items.map((s: { id: string }) => s.id);
      const bobIds = (await sessions(bob.accessToken)).json().items.map((s: { id: string }) => s.id);
      expect(aliceIds).toHaveLength(1);
      expect(bobIds).toHaveLength(1);
      expect(aliceIds).not.toEqual(bobIds);
      // A cursor does not widen the view either, not even one forged to point past every id.
      const pastEveryId = Buffer.from('["ffffffff-ffff-7fff-bfff-ffffffffffff"]').toString('base64url');
      const paged = (await sessions(alice.accessToken, `?cursor=${pastEveryId}`)).json();
      expect(paged.items.map((s: { id: string }) => s.id)).toEqual(aliceIds);
    });

    it('answers 400 for an invalid limit', async () => {
      const account = await registerUser(h);
      for (const query of ['?limit=0', '?limit=101', '?limit=abc']) {
        expect((await sessions(account.accessToken, query)).statusCode).toBe(400);
      }
    });
  });
});
