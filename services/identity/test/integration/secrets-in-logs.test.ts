import { createLogger } from '@conduit/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  type IdentityHarness,
  loginUser,
  registerUser,
  startIdentityHarness,
} from '../fixtures/identity-harness.js';
import { tokenIn } from '../fixtures/smtp-inbox.js';

const FIRST_PASSWORD = 'first secret passphrase 9f3c';
const SECOND_PASSWORD = 'second secret passphrase 71ab';

let h: IdentityHarness;
const lines: string[] = [];
const logText = () => lines.join('');

beforeAll(async () => {
  // The service's own logger, with its redaction, at its most verbose, written where the test can read it.
  const logger = createLogger(
    { service: 'identity', level: 'trace' },
    { write: (line: string) => void lines.push(line) },
  );
  h = await startIdentityHarness({ logger, env: { REFRESH_REUSE_GRACE: '0ms' } });
}, 60_000);
afterAll(() => h?.close(), 30_000);

describe('logs', () => {
  it('never contain a password, a token or a password hash, through every authentication flow', async () => {
    const secrets: string[] = [FIRST_PASSWORD, SECOND_PASSWORD];
    const post = (url: string, payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
      h.app.inject({ method: 'POST', url, payload, headers });

    const account = await registerUser(h, { password: FIRST_PASSWORD, name: 'Logged Person' });
    secrets.push(account.accessToken, account.refreshToken);
    expect(
      (await post('/v1/auth/login', { email: account.email, password: `${FIRST_PASSWORD}!` })).statusCode,
    ).toBe(401);
    expect(
      (await post('/v1/auth/register', { email: account.email, password: FIRST_PASSWORD })).statusCode,
    ).toBe(409);
    expect(
      (await post('/v1/auth/register', { email: 'weak@example.com', password: 'short12' })).statusCode,
    ).toBe(400);

    const login = await loginUser(h, { email: account.email, password: FIRST_PASSWORD });
    secrets.push(login.accessToken, login.refreshToken);
    const rotated = await post('/v1/auth/refresh', { refreshToken: login.refreshToken });
    expect(rotated.statusCode).toBe(200);
    secrets.push(rotated.json().accessToken, rotated.json().refreshToken);
    // A replay (grace 0) is logged as a warning: with the user, not the token.
    expect((await post('/v1/auth/refresh', { refreshToken: login.refreshToken })).statusCode).toBe(401);
    expect((await post('/v1/auth/refresh', { refreshToken: 'G'.repeat(43) })).statusCode).toBe(401);
    expect(
      (await h.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(account.accessToken) })).statusCode,
    ).toBe(200);

    await post('/v1/auth/password-reset', { email: account.email });
    await expect.poll(() => h.mail.to(account.email).length, { timeout: 10_000 }).toBe(1);
    const resetToken = tokenIn(h.mail.to(account.email)[0]!, 'Reset token:');
    secrets.push(resetToken);
    expect(
      (await post('/v1/auth/password-reset/confirm', { token: resetToken, password: 'password123' }))
        .statusCode,
    ).toBe(422);
    expect(
      (await post('/v1/auth/password-reset/confirm', { token: resetToken, password: SECOND_PASSWORD }))
        .statusCode,
    ).toBe(204);
    expect(
      (await post('/v1/auth/password-reset/confirm', { token: resetToken, password: SECOND_PASSWORD }))
        .statusCode,
    ).toBe(400);

    await post('/v1/auth/login-token', { email: account.email });
    await expect.poll(() => h.mail.to(account.email).length, { timeout: 10_000 }).toBe(2);
    const loginToken = tokenIn(h.mail.to(account.email)[1]!, 'Sign-in token:');
    secrets.push(loginToken);
    const redeemed = await post('/v1/auth/login-token/redeem', { token: loginToken });
    expect(redeemed.statusCode).toBe(200);
    secrets.push(redeemed.json().accessToken, redeemed.json().refreshToken);
    const final = await loginUser(h, { email: account.email, password: SECOND_PASSWORD });
    secrets.push(final.accessToken, final.refreshToken);
    await h.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(final.accessToken) });

    const [stored] = await h.admin<
      { password_hash: string }[]
    >`select password_hash from identity.users where id = ${account.user.id}`;
    secrets.push(stored!.password_hash);

    // The logger really was the service's: it recorded these requests, and the refresh replay.
    const text = logText();
    expect(text).toContain('/v1/auth/login');
    expect(text).toContain('/v1/auth/password-reset/confirm');
    expect(text).toContain('spent refresh token reused');
    expect(lines.length).toBeGreaterThan(10); // one line per request at trace, and the events of the flows

    const leaked = secrets.filter((secret) => text.includes(secret));
    expect(leaked).toEqual([]);
    expect(text).not.toContain('$argon2id$');
  });

  it('do not carry the token of a mail that could not be sent', async () => {
    const account = await registerUser(h);
    await h.mail.close(); // the mail server goes away
    const before = lines.length;
    expect(
      (
        await h.app.inject({
          method: 'POST',
          url: '/v1/auth/password-reset',
          payload: { email: account.email },
        })
      ).statusCode,
    ).toBe(202);
    expect(
      (await h.app.inject({ method: 'POST', url: '/v1/auth/login-token', payload: { email: account.email } }))
        .statusCode,
    ).toBe(202);
    await expect
      .poll(
        () =>
          lines.slice(before).filter((line) => line.includes('could not send one-time token mail')).length,
        { timeout: 15_000 },
      )
      .toBe(2);
    const text = lines.slice(before).join('');
    expect(text).not.toMatch(/Reset token:|Sign-in token:|token=[A-Za-z0-9_-]{20}/);
  });
});
