import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type IdentityHarness,
  loginUser,
  registerUser,
  startIdentityHarness,
  uniqueEmail,
} from '../fixtures/identity-harness.js';

// MAIL_DELIVERY=email-service: identity's mails become identity.mail.requested in its outbox (the
// email service renders its system templates and sends them), committed with the token they carry,
// and identity sends nothing itself. Direct delivery is what the other identity tests exercise.

let h: IdentityHarness;

beforeAll(async () => {
  h = await startIdentityHarness({ env: { MAIL_DELIVERY: 'email-service' } });
}, 60_000);
afterAll(() => h?.close(), 30_000);

const post = (url: string, payload: Record<string, unknown>) =>
  h.app.inject({ method: 'POST', url, payload });

interface MailRequest {
  template: string;
  to: string;
  userId: string | null;
  variables: Record<string, string>;
}

const requestsTo = (email: string) =>
  h.admin<{ payload: { actor: unknown; data: MailRequest } }[]>`
    select payload from identity.outbox
    where subject = 'identity.mail.requested' and payload->'data'->>'to' = ${email}
    order by created_at`.then((rows) => rows.map((row) => row.payload));

describe('identity mail through the email service', () => {
  it('a password reset is a request for the identity.password_reset template whose token works', async () => {
    const account = await registerUser(h);
    expect((await post('/v1/auth/password-reset', { email: account.email })).statusCode).toBe(202);
    await expect.poll(async () => (await requestsTo(account.email)).length, { timeout: 10_000 }).toBe(1);
    const [request] = await requestsTo(account.email);
    expect(request).toMatchObject({
      actor: null,
      data: {
        template: 'identity.password_reset',
        to: account.email,
        userId: account.user.id,
        variables: { token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), minutes: expect.any(String) },
      },
    });
    const { token, resetUrl } = request!.data.variables;
    expect(resetUrl).toBe(`${h.env.PUBLIC_URL}/reset-password?token=${token}`);

    const confirmed = await post('/v1/auth/password-reset/confirm', {
      token,
      password: 'a brand new passphrase',
    });
    expect(confirmed.statusCode).toBe(204);
    await loginUser(h, { email: account.email, password: 'a brand new passphrase' });
    // Nothing went out directly.
    expect(h.mail.to(account.email)).toEqual([]);
  });

  it('a sign-in link is a request for identity.login_link; an unknown address requests nothing', async () => {
    const account = await registerUser(h);
    const nobody = uniqueEmail();
    expect((await post('/v1/auth/login-token', { email: nobody })).statusCode).toBe(202);
    expect((await post('/v1/auth/login-token', { email: account.email })).statusCode).toBe(202);
    await expect.poll(async () => (await requestsTo(account.email)).length, { timeout: 10_000 }).toBe(1);
    const [request] = await requestsTo(account.email);
    expect(request!.data).toMatchObject({ template: 'identity.login_link', userId: account.user.id });
    const redeemed = await post('/v1/auth/login-token/redeem', { token: request!.data.variables.token });
    expect(redeemed.statusCode).toBe(200);
    expect(await requestsTo(nobody)).toEqual([]);
    expect(h.mail.messages).toEqual([]);
  });
});
