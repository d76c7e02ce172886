import {
  eventually,
  type MailHarness,
  startMailHarness,
} from '@conduit/email-sync/test/fixtures/mail-harness.js';
import {
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
} from '@conduit/identity/test/fixtures/identity-harness.js';
import { startSmtpServer, type TestSmtpServer } from '@conduit/testing';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Identity's mails as `pnpm start` sends them (MAIL_DELIVERY=email-service): identity records
// identity.mail.requested in its outbox, its relay publishes it, email-sync's worker renders the
// system template an operator may have changed and sends it through MAIL_URL, a real SMTP server
// here. The reset link that arrives works on identity.

let platform: TestSmtpServer;
let mail: MailHarness;
let identity: IdentityHarness;

beforeAll(async () => {
  platform = await startSmtpServer();
  mail = await startMailHarness({
    env: {
      SYNC_EVERY: '1h',
      MAIL_URL: `smtp://127.0.0.1:${platform.port}`,
      MAIL_FROM: 'Conduit <no-reply@conduit.test>',
    },
  });
  identity = await startIdentityHarness({
    env: { MAIL_DELIVERY: 'email-service', BUS_NAMESPACE: mail.childEnv.BUS_NAMESPACE! },
  });
}, 180_000);
afterAll(async () => {
  await identity?.close();
  await mail?.close();
  await platform?.stop();
});

/** The mails the platform's SMTP server got for one address, parsed. */
const mailsTo = async (address: string) =>
  Promise.all(
    platform
      .uniqueMessages()
      .filter((message) => message.envelope.to.includes(address))
      .map((message) => simpleParser(message.raw)),
  );

const requestReset = (email: string) =>
  identity.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email } });

describe("identity's mails through the email service", () => {
  it('deliver a password reset whose token sets a new password, once, and nothing to an unknown address', async () => {
    const user = await registerUser(identity);
    expect((await requestReset(user.email)).statusCode).toBe(202);
    expect((await requestReset('nobody-here@example.com')).statusCode).toBe(202);

    const [reset] = await eventually(
      async () => {
        const mails = await mailsTo(user.email);
        return mails.length > 0 && mails;
      },
      60_000,
      'the reset mail at the SMTP server',
    );
    expect(reset!.from?.text).toContain('no-reply@conduit.test');
    const token = reset!.text?.match(/token=([\w-]+)/)?.[1];
    expect(token, reset!.text).toBeDefined();

    const confirmed = await identity.app.inject({
      method: 'POST',
      url: '/v1/auth/password-reset/confirm',
      payload: { token, password: 'a brand new passphrase' },
    });
    expect(confirmed.statusCode, confirmed.body).toBeLessThan(300);
    const signedIn = await identity.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: user.email, password: 'a brand new passphrase' },
    });
    expect(signedIn.statusCode, signedIn.body).toBe(200);

    // Sent once, and never to an address without an account.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await mailsTo(user.email)).toHaveLength(1);
    expect(await mailsTo('nobody-here@example.com')).toHaveLength(0);
  });

  it('deliver a sign-in link (identity.login_link) whose token signs in once', async () => {
    const user = await registerUser(identity);
    const asked = await identity.app.inject({
      method: 'POST',
      url: '/v1/auth/login-token',
      payload: { email: user.email },
    });
    expect(asked.statusCode).toBe(202);
    const [link] = await eventually(
      async () => {
        const mails = await mailsTo(user.email);
        return mails.length > 0 && mails;
      },
      60_000,
      'the sign-in mail at the SMTP server',
    );
    expect(link!.text).toContain('/login?token=');
    const token = link!.text?.match(/login\?token=([\w-]+)/)?.[1];
    expect(token, link!.text).toBeDefined();
    const redeem = () =>
      identity.app.inject({ method: 'POST', url: '/v1/auth/login-token/redeem', payload: { token } });
    const signedIn = await redeem();
    expect(signedIn.statusCode, signedIn.body).toBe(200);
    expect(signedIn.json().user.id).toBe(user.user.id);
    expect((await redeem()).statusCode).toBe(401);
  });

  it('follow the template as an operator changed it', async () => {
    const [template] = await mail.admin<{ id: string }[]>`
      select id from email.email_templates where key = 'identity.password_reset'`;
    const { token: admin } = await mail.tokens.mint({ platformAdmin: true });
    const changed = await mail.app.inject({
      method: 'PATCH',
      url: `/v1/mail/templates/${template!.id}`,
      headers: { authorization: `Bearer ${admin}` },
      payload: { subject: 'Reset your Acme password', text: 'Open {{resetUrl}} within {{minutes}} minutes.' },
    });
    expect(changed.statusCode, changed.body).toBe(200);

    const user = await registerUser(identity);
    expect((await requestReset(user.email)).statusCode).toBe(202);
    const [reset] = await eventually(
      async () => {
        const mails = await mailsTo(user.email);
        return mails.length > 0 && mails;
      },
      60_000,
      'the reset mail from the changed template',
    );
    expect(reset!.subject).toBe('Reset your Acme password');
    expect(reset!.text?.trim()).toMatch(/^Open \S+token=[\w-]+ within \d+ minutes\.$/);
  });
});
