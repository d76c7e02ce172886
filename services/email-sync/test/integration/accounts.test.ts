import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  connectAccount,
  eventually,
  type MailHarness,
  startMailHarness,
} from '../fixtures/mail-harness.js';

let h: MailHarness;
const ana = { user: 'ana@example.test', password: 'Ana-very-secret-42' };

beforeAll(async () => {
  h = await startMailHarness({ users: [ana], env: { IDLE_ENABLED: 'false' } });
});
afterAll(async () => h?.close());

const body = (overrides: Record<string, unknown> = {}) => ({
  emailAddress: ana.user,
  imap: { host: h.dovecot.host, port: h.dovecot.imapPort, security: 'none' },
  smtp: { host: h.smtp.host, port: h.smtp.port, security: 'none' },
  password: ana.password,
  ...overrides,
});

describe('mail accounts', () => {
  it('refuses credentials the server refuses, and hosts no account may reach, with 422 and the reason', async () => {
    const { token } = await h.tokens.mint();
    const wrong = await h.app.inject({
      method: 'POST',
      url: '/v1/mail/accounts',
      headers: bearer(token),
      payload: body({ password: 'not-the-password' }),
    });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.headers['content-type']).toContain('application/problem+json');
    expect(wrong.json().detail).toMatch(/IMAP server refused the credentials/);

    const privateHost = await h.app.inject({
      method: 'POST',
      url: '/v1/mail/accounts',
      headers: bearer(token),
      payload: body({ imap: { host: '192.168.77.1', port: 993, security: 'tls' } }),
    });
    expect(privateHost.statusCode).toBe(422);
    expect(privateHost.json().detail).toMatch(/private, loopback or link-local/);

    const closedPort = await h.app.inject({
      method: 'POST',
      url: '/v1/mail/accounts',
      headers: bearer(token),
      payload: body({ imap: { host: '127.0.0.1', port: 1, security: 'none' } }),
    });
    expect(closedPort.statusCode).toBe(422);
    expect(closedPort.json().detail).toMatch(/could not be reached/);
    const [count] = await h.admin`select count(*)::int as n from email.user_email_accounts`;
    expect(count!.n).toBe(0);
  });

  it('answers 400 for malformed input', async () => {
    const { token } = await h.tokens.mint();
    for (const payload of [
      body({ emailAddress: 'not an address' }),
      body({ imap: { host: 'imap.example.test', port: 0 } }),
      body({ imap: { host: 'http://evil/', port: 993 } }),
      body({ extra: true }),
      body({ password: '' }),
    ]) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/v1/mail/accounts',
        headers: bearer(token),
        payload,
      });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const badId = await h.app.inject({
      method: 'GET',
      url: '/v1/mail/accounts/not-a-uuid',
      headers: bearer(token),
    });
    expect(badId.statusCode).toBe(400);
  });

  it('keeps the password sealed: never in an answer, the row, an event or a job', async () => {
    const owner = await h.tokens.mint();
    const account = await connectAccount(h, owner.token, ana);
    await eventually(async () => {
      const [row] = await h.admin`select sync_state from email.user_email_accounts where id = ${account.id}`;
      return row?.sync_state === 'idle';
    });
    const answers = [
      JSON.stringify(account),
      (await h.app.inject({ method: 'GET', url: '/v1/mail/accounts', headers: bearer(owner.token) })).body,
      (
        await h.app.inject({
          method: 'GET',
          url: `/v1/mail/accounts/${account.id}`,
          headers: bearer(owner.token),
        })
      ).body,
      (
        await h.app.inject({
          method: 'PATCH',
          url: `/v1/mail/accounts/${account.id}`,
          headers: bearer(owner.token),
          payload: { displayName: 'Ana' },
        })
      ).body,
    ];
    for (const answer of answers) {
      expect(answer).not.toContain(ana.password);
      expect(answer).not.toMatch(/password/i);
    }
    const [row] =
      await h.admin`select encrypted_password from email.user_email_accounts where id = ${account.id}`;
    expect(row!.encrypted_password).not.toContain(ana.password);
    const outbox = await h.admin`select payload::text as p from email.outbox`;
    for (const event of outbox) expect(event.p).not.toContain(ana.password);
    const jobs = await h.deps.jobs.queue.getJobs(['completed', 'waiting', 'active', 'delayed', 'failed']);
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) expect(JSON.stringify(job.data)).not.toContain(ana.password);
  });

  it('tries new credentials before keeping them, turns off and on, and disconnects', async () => {
    const owner = await h.tokens.mint();
    const account = await connectAccount(h, owner.token, ana);
    const url = `/v1/mail/accounts/${account.id}`;
    const refused = await h.app.inject({
      method: 'PATCH',
      url,
      headers: bearer(owner.token),
      payload: { password: 'wrong-one' },
    });
    expect(refused.statusCode).toBe(422);
    const off = await h.app.inject({
      method: 'PATCH',
      url,
      headers: bearer(owner.token),
      payload: { active: false },
    });
    expect(off.json()).toMatchObject({ active: false, sync: { state: 'disabled' } });
    const asked = await h.app.inject({ method: 'POST', url: `${url}/sync`, headers: bearer(owner.token) });
    expect(asked.statusCode).toBe(409);
    const on = await h.app.inject({
      method: 'PATCH',
      url,
      headers: bearer(owner.token),
      payload: { active: true },
    });
    expect(on.json()).toMatchObject({ active: true, sync: { state: 'connecting' } });
    await eventually(async () => {
      const [row] = await h.admin`select sync_state from email.user_email_accounts where id = ${account.id}`;
      return row?.sync_state === 'idle';
    });
    const gone = await h.app.inject({ method: 'DELETE', url, headers: bearer(owner.token) });
    expect(gone.statusCode).toBe(204);
    const [left] = await h.admin`
      select (select count(*)::int from email.user_email_accounts where id = ${account.id}) as accounts,
             (select count(*)::int from email.email_folders where account_id = ${account.id}) as folders,
             (select count(*)::int from email.email_messages where account_id = ${account.id}) as messages`;
    expect(left).toEqual({ accounts: 0, folders: 0, messages: 0 });
    expect((await h.app.inject({ method: 'GET', url, headers: bearer(owner.token) })).statusCode).toBe(404);
  });
});
