import { startTcpProxy, type TcpProxy } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectAccount,
  eventually,
  type MailHarness,
  rawMessage,
  startMailHarness,
} from '../fixtures/mail-harness.js';

// IDLE's liveness check: the Inbox IDLE connection goes through a TCP proxy that stops passing
// bytes (a server or network that hangs without closing). The NOOP that re-issues IDLE every
// IDLE_RENEW gets no answer within MAIL_TIMEOUT, so the connection is dropped (IDLE no longer
// live, polling back at its normal rate) and reopened with backoff once the server answers again,
// after which new mail is announced within seconds as before.
let h: MailHarness;
let proxy: TcpProxy;
const ana = { user: 'ana@example.test', password: 'ana-secret-liveness' };

beforeAll(async () => {
  h = await startMailHarness({
    users: [ana],
    env: { SYNC_EVERY: '1h', IDLE_RENEW: '1s', MAIL_TIMEOUT: '2s', CONNECT_BACKOFF: '300ms' },
  });
  proxy = await startTcpProxy({ host: h.dovecot.host, port: h.dovecot.imapPort });
});
afterAll(async () => {
  await h?.close();
  await proxy?.close();
});

describe('an IDLE connection that stops answering', () => {
  it('is found dead by its NOOP, dropped, and reopened once the server answers again', async () => {
    const { token } = await h.tokens.mint();
    const account = await connectAccount(h, token, ana, {
      imap: { host: '127.0.0.1', port: proxy.port, security: 'none' },
    });
    const live = async () => (await h.deps.redis.get(`idle-live:${account.id}`)) === '1';
    await eventually(live, 30_000, 'the Inbox IDLE to be live');

    proxy.pause();
    const pausedAt = Date.now();
    await eventually(async () => !(await live()), 15_000, 'the hung IDLE found dead');
    // Well before the live mark would have run out by itself (15 s): the NOOP found it.
    expect(Date.now() - pausedAt).toBeLessThan(10_000);

    proxy.resume();
    await eventually(live, 30_000, 'IDLE live again');
    const { uid } = await h.dovecot.deliver(ana.user, rawMessage({ subject: 'after the hang' }));
    await eventually(
      async () =>
        (
          await h.admin<{ n: number }[]>`
            select count(*)::int as n from email.outbox
            where subject = 'email.message.received' and (payload->'data'->>'uid')::int = ${uid}`
        )[0]!.n === 1,
      20_000,
      'the new message announced through the reopened IDLE',
    );
  }, 90_000);
});
