import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  connectAccount,
  eventually,
  type MailHarness,
  startMailHarness,
} from '../fixtures/mail-harness.js';

// The password of a mail account is in no log line: every line the service writes (HTTP and the
// worker, at trace level) while an account is refused, kept, synced, re-keyed and sends mail.
let h: MailHarness;
const lines: string[] = [];
const ana = { user: 'ana@example.test', password: 'ana-secret-never-logged-7f3c' };
const wrong = 'wrong-secret-never-logged-91ab';

beforeAll(async () => {
  h = await startMailHarness({ users: [ana], env: { SYNC_EVERY: '1s', IDLE_RENEW: '1s' }, logLines: lines });
});
afterAll(async () => h?.close());

describe('account passwords and the log', () => {
  it('are never written, through refusals, syncs, IDLE, a password change and a send', async () => {
    const { token } = await h.tokens.mint();
    const servers = {
      imap: { host: h.dovecot.host, port: h.dovecot.imapPort, security: 'none' },
      smtp: { host: h.smtp.host, port: h.smtp.port, security: 'none' },
    };
    const refused = await h.app.inject({
      method: 'POST',
      url: '/v1/mail/accounts',
      headers: bearer(token),
      payload: { emailAddress: ana.user, ...servers, password: wrong },
    });
    expect(refused.statusCode).toBe(422);
    const account = await connectAccount(h, token, ana);
    const synced = async () => {
      const [row] = await h.admin`select sync_state from email.user_email_accounts where id = ${account.id}`;
      return row?.sync_state === 'idle';
    };
    await eventually(synced, 30_000, 'the first sync');
    const url = `/v1/mail/accounts/${account.id}`;
    const badChange = await h.app.inject({
      method: 'PATCH',
      url,
      headers: bearer(token),
      payload: { password: wrong },
    });
    expect(badChange.statusCode).toBe(422);
    const change = await h.app.inject({
      method: 'PATCH',
      url,
      headers: bearer(token),
      payload: { password: ana.password },
    });
    expect(change.statusCode, change.body).toBe(200);
    const sent = await h.app.inject({
      method: 'POST',
      url: '/v1/mail/send',
      headers: bearer(token),
      payload: { accountId: account.id, to: [ana.user], subject: 'Logged?', text: 'no' },
    });
    expect(sent.statusCode, sent.body).toBe(202);
    await eventually(
      async () => {
        const [row] = await h.admin`select status from email.email_outbound where id = ${sent.json().id}`;
        return row?.status === 'sent';
      },
      30_000,
      'the send',
    );
    await h.dovecot.deliver(
      ana.user,
      Buffer.from('From: x@example.test\r\nSubject: new\r\n\r\nnew mail\r\n'),
    );
    await eventually(
      async () => {
        const [row] =
          await h.admin`select count(*)::int as n from email.email_messages where account_id = ${account.id}`;
        return (row?.n ?? 0) >= 2;
      },
      30_000,
      'new mail synced',
    );

    // The log saw the work: the refused and kept account, the password change, the syncs.
    const all = lines.join('\n');
    expect(all).toContain('"url":"/v1/mail/accounts","statusCode":422');
    expect(all).toContain('"url":"/v1/mail/send"');
    expect(all).toContain('"folders":[{"path":"INBOX"');
    expect(all).not.toContain(ana.password);
    expect(all).not.toContain(wrong);
  });
});
