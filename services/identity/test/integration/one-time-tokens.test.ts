import { identityEvents } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  type IdentityHarness,
  loginUser,
  registerUser,
  startIdentityHarness,
  uniqueEmail,
} from '../fixtures/identity-harness.js';
import { tokenIn } from '../fixtures/smtp-inbox.js';

const NEW_PASSWORD = 'a brand new passphrase';

let h: IdentityHarness;

beforeAll(async () => {
  h = await startIdentityHarness();
}, 60_000);
afterAll(() => h?.close(), 30_000);

const post = (url: string, payload: Record<string, unknown>) =>
  h.app.inject({ method: 'POST', url, payload });

/** Waits for the `nth` (1-based) mail to `email` and returns the token after `label` in it. */
async function mailedToken(email: string, label: string, nth = 1): Promise<string> {
  await expect.poll(() => h.mail.to(email).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(nth);
  return tokenIn(h.mail.to(email)[nth - 1]!, label);
}

/**
 * Asks for a mail to an account that exists and waits for it, so that a mail to `nobody`, had one
 * been sent by the same earlier request, would have arrived by then.
 */
async function assertNoMailTo(nobody: string, route: string) {
  const { email } = await registerUser(h);
  expect((await post(route, { email })).statusCode).toBe(202);
  await expect.poll(() => h.mail.to(email).length, { timeout: 10_000 }).toBe(1);
  expect(h.mail.to(nobody)).toEqual([]);
}

describe('password reset', () => {
  describe('happy', () => {
    it('mails a token (202) that sets a new password (204) and signs out every session', async () => {
      const account = await registerUser(h);
      const laptop = await loginUser(h, { email: account.email, password: account.password });

      const requested = await post('/v1/auth/password-reset', { email: account.email.toUpperCase() });
      expect(requested.statusCode).toBe(202);
      const token = await mailedToken(account.email, 'Reset token:');
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(h.mail.to(account.email)[0]!.raw).toMatch(/Subject: Reset your Conduit password/);

      const confirmed = await post('/v1/auth/password-reset/confirm', { token, password: NEW_PASSWORD });
      expect(confirmed.statusCode).toBe(204);

      for (const session of [account, laptop]) {
        expect((await post('/v1/auth/refresh', { refreshToken: session.refreshToken })).statusCode).toBe(401);
        expect(
          (await h.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(session.accessToken) }))
            .statusCode,
        ).toBe(401);
      }
      expect(
        (await post('/v1/auth/login', { email: account.email, password: account.password })).statusCode,
      ).toBe(401);
      await loginUser(h, { email: account.email, password: NEW_PASSWORD });

      const events =
        await h.admin`select subject, payload from identity.outbox where payload->'data'->>'userId' = ${account.user.id} and subject in ('identity.password.reset', 'identity.session.revoked')`;
      expect(
        events
          .filter((row) => row.subject === 'identity.password.reset')
          .map((row) => identityEvents.passwordReset.envelope.parse(row.payload).data),
      ).toEqual([{ userId: account.user.id }]);
      expect(
        events
          .filter((row) => row.subject === 'identity.session.revoked')
          .map((row) => row.payload.data.reason),
      ).toEqual(['password_reset', 'password_reset']);
    });

    it('stores only a hash of the reset token', async () => {
      const account = await registerUser(h);
      await post('/v1/auth/password-reset', { email: account.email });
      const token = await mailedToken(account.email, 'Reset token:');
      const rows =
        await h.admin`select token_hash from identity.password_resets where user_id = ${account.user.id}`;
      expect(rows).toHaveLength(1);
      expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(rows[0]!.token_hash).not.toContain(token);
    });
  });

  describe('error', () => {
    it('is single use: a second confirm answers 400', async () => {
      const account = await registerUser(h);
      await post('/v1/auth/password-reset', { email: account.email });
      const token = await mailedToken(account.email, 'Reset token:');
      expect(
        (await post('/v1/auth/password-reset/confirm', { token, password: NEW_PASSWORD })).statusCode,
      ).toBe(204);
      const second = await post('/v1/auth/password-reset/confirm', {
        token,
        password: 'yet another passphrase',
      });
      expect(second.statusCode).toBe(400);
      expect(second.json()).toMatchObject({ code: 'bad_request' });
      await loginUser(h, { email: account.email, password: NEW_PASSWORD });
    });

    it("spends the user's other outstanding reset tokens too", async () => {
      const account = await registerUser(h);
      await post('/v1/auth/password-reset', { email: account.email });
      await post('/v1/auth/password-reset', { email: account.email });
      const first = await mailedToken(account.email, 'Reset token:', 1);
      const second = await mailedToken(account.email, 'Reset token:', 2);
      expect(first).not.toBe(second);
      expect(
        (await post('/v1/auth/password-reset/confirm', { token: second, password: NEW_PASSWORD })).statusCode,
      ).toBe(204);
      expect(
        (await post('/v1/auth/password-reset/confirm', { token: first, password: 'yet another passphrase' }))
          .statusCode,
      ).toBe(400);
    });

    it('answers 400 for an expired token', async () => {
      const account = await registerUser(h);
      await post('/v1/auth/password-reset', { email: account.email });
      const token = await mailedToken(account.email, 'Reset token:');
      await h.admin`update identity.password_resets set expires_at = now() - interval '1 second' where user_id = ${account.user.id}`;
      expect(
        (await post('/v1/auth/password-reset/confirm', { token, password: NEW_PASSWORD })).statusCode,
      ).toBe(400);
      await loginUser(h, { email: account.email, password: account.password });
    });

    it('expires the token after PASSWORD_RESET_TTL (20 minutes)', async () => {
      const account = await registerUser(h);
      await post('/v1/auth/password-reset', { email: account.email });
      await mailedToken(account.email, 'Reset token:');
      const [row] =
        await h.admin`select extract(epoch from expires_at - created_at)::int as seconds from identity.password_resets where user_id = ${account.user.id}`;
      expect(row!.seconds).toBeGreaterThanOrEqual(20 * 60 - 1);
      expect(row!.seconds).toBeLessThanOrEqual(20 * 60 + 1);
    });

    it('answers 422 for a common new password and leaves the token usable', async () => {
      const account = await registerUser(h);
      await post('/v1/auth/password-reset', { email: account.email });
      const token = await mailedToken(account.email, 'Reset token:');
      const weak = await post('/v1/auth/password-reset/confirm', { token, password: 'password123' });
      expect(weak.statusCode).toBe(422);
      expect(weak.json()).toMatchObject({ code: 'unprocessable' });
      expect((await post('/v1/auth/password-reset/confirm', { token, password: 'short' })).statusCode).toBe(
        400,
      );
      expect((await post('/v1/auth/refresh', { refreshToken: account.refreshToken })).statusCode).toBe(200);
      expect(
        (await post('/v1/auth/password-reset/confirm', { token, password: NEW_PASSWORD })).statusCode,
      ).toBe(204);
    });

    it('answers 400 for an unknown token', async () => {
      expect(
        (await post('/v1/auth/password-reset/confirm', { token: 'B'.repeat(43), password: NEW_PASSWORD }))
          .statusCode,
      ).toBe(400);
    });
  });

  describe('security', () => {
    it('answers 202 for an unknown email and sends no mail', async () => {
      const nobody = uniqueEmail('nobody');
      const response = await post('/v1/auth/password-reset', { email: nobody });
      expect(response.statusCode).toBe(202);
      await assertNoMailTo(nobody, '/v1/auth/password-reset');
    });

    it('sends nothing to a disabled account', async () => {
      const account = await registerUser(h);
      await h.admin`update identity.users set active = false where id = ${account.user.id}`;
      expect((await post('/v1/auth/password-reset', { email: account.email })).statusCode).toBe(202);
      await assertNoMailTo(account.email, '/v1/auth/password-reset');
    });

    it('cannot use a login token as a reset token', async () => {
      const account = await registerUser(h);
      await post('/v1/auth/login-token', { email: account.email });
      const loginToken = await mailedToken(account.email, 'Sign-in token:');
      expect(
        (await post('/v1/auth/password-reset/confirm', { token: loginToken, password: NEW_PASSWORD }))
          .statusCode,
      ).toBe(400);
    });
  });
});

describe('one-time login tokens', () => {
  describe('happy', () => {
    it('mails a token (202) that signs in once (200 with a token pair)', async () => {
      const account = await registerUser(h);
      const requested = await post('/v1/auth/login-token', { email: account.email });
      expect(requested.statusCode).toBe(202);
      const token = await mailedToken(account.email, 'Sign-in token:');
      expect(h.mail.to(account.email)[0]!.raw).toMatch(/Subject: Your Conduit sign-in link/);

      const redeemed = await post('/v1/auth/login-token/redeem', { token });
      expect(redeemed.statusCode).toBe(200);
      const body = redeemed.json();
      expect(body).toMatchObject({
        user: account.user,
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshToken: expect.any(String),
      });
      expect(
        (await h.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(body.accessToken) })).statusCode,
      ).toBe(200);
      expect((await post('/v1/auth/refresh', { refreshToken: body.refreshToken })).statusCode).toBe(200);

      const [event] =
        await h.admin`select payload from identity.outbox where subject = 'identity.user.logged_in' and payload->'data'->>'method' = 'login_token' and payload->'data'->>'userId' = ${account.user.id}`;
      expect(identityEvents.userLoggedIn.envelope.parse(event!.payload).data).toMatchObject({
        userId: account.user.id,
        method: 'login_token',
      });
    });
  });

  describe('error', () => {
    it('answers 401 for a second redemption', async () => {
      const account = await registerUser(h);
      await post('/v1/auth/login-token', { email: account.email });
      const token = await mailedToken(account.email, 'Sign-in token:');
      expect((await post('/v1/auth/login-token/redeem', { token })).statusCode).toBe(200);
      const second = await post('/v1/auth/login-token/redeem', { token });
      expect(second.statusCode).toBe(401);
      expect(second.json()).toMatchObject({ code: 'unauthorized' });
    });

    it('spends a token once even when redeemed twice at the same moment', async () => {
      const account = await registerUser(h);
      await post('/v1/auth/login-token', { email: account.email });
      const token = await mailedToken(account.email, 'Sign-in token:');
      const answers = await Promise.all([
        post('/v1/auth/login-token/redeem', { token }),
        post('/v1/auth/login-token/redeem', { token }),
      ]);
      expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 401]);
    });

    it('answers 401 for an expired, unknown or reset token', async () => {
      const account = await registerUser(h);
      await post('/v1/auth/login-token', { email: account.email });
      const token = await mailedToken(account.email, 'Sign-in token:');
      await h.admin`update identity.user_login_tokens set expires_at = now() - interval '1 second' where user_id = ${account.user.id}`;
      expect((await post('/v1/auth/login-token/redeem', { token })).statusCode).toBe(401);
      expect((await post('/v1/auth/login-token/redeem', { token: 'C'.repeat(43) })).statusCode).toBe(401);

      await post('/v1/auth/password-reset', { email: account.email });
      const resetToken = await mailedToken(account.email, 'Reset token:', 2);
      expect((await post('/v1/auth/login-token/redeem', { token: resetToken })).statusCode).toBe(401);
    });

    it('answers 401 when the account was disabled after the token was mailed', async () => {
      const account = await registerUser(h);
      await post('/v1/auth/login-token', { email: account.email });
      const token = await mailedToken(account.email, 'Sign-in token:');
      await h.admin`update identity.users set active = false where id = ${account.user.id}`;
      expect((await post('/v1/auth/login-token/redeem', { token })).statusCode).toBe(401);
    });
  });

  describe('security', () => {
    it('answers 202 for an unknown email and sends no mail', async () => {
      const nobody = uniqueEmail('nobody');
      expect((await post('/v1/auth/login-token', { email: nobody })).statusCode).toBe(202);
      await assertNoMailTo(nobody, '/v1/auth/login-token');
    });
  });
});
