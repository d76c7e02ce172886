import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectAccount,
  eventually,
  type MailHarness,
  rawMessage,
  startMailHarness,
} from '../fixtures/mail-harness.js';

// Polling is off (an hour): whatever arrives after the first sync is seen through IDLE only.
// IDLE is broken and re-issued (with a NOOP) every second here, so new mail arrives after renewals.
let h: MailHarness;
const ana = { user: 'ana@example.test', password: 'ana-secret-1' };

beforeAll(async () => {
  h = await startMailHarness({ users: [ana], env: { SYNC_EVERY: '1h', SYNC_BATCH: '10', IDLE_RENEW: '1s' } });
});
afterAll(async () => h?.close());

const received = (uid?: number) =>
  h.admin<{ n: number }[]>`
    select count(*)::int as n from email.outbox
    where subject = 'email.message.received' ${uid === undefined ? h.admin`` : h.admin`and (payload->'data'->>'uid')::int = ${uid}`}`;

describe('first sync, then new mail through IDLE', () => {
  it('reads what the Inbox holds without announcing it, then announces a new message once, within seconds', async () => {
    for (let i = 0; i < 25; i++) await h.dovecot.deliver(ana.user, rawMessage({ subject: `old ${i}` }));
    const { token } = await h.tokens.mint();
    const account = await connectAccount(h, token, ana);

    await eventually(
      async () => {
        const [folder] = await h.admin`select first_sync_done, first_sync_fetched from email.email_folders
          where account_id = ${account.id} and special_use = 'inbox'`;
        return folder?.first_sync_done === true && folder.first_sync_fetched === 25;
      },
      30_000,
      'the first sync of the Inbox',
    );
    const [counted] = await h.admin<{ n: number }[]>`
      select count(*)::int as n from email.email_messages where account_id = ${account.id}`;
    expect(counted?.n).toBe(25);
    expect((await received())[0]?.n).toBe(0);
    await eventually(async () => {
      const [row] = await h.admin`select sync_state from email.user_email_accounts where id = ${account.id}`;
      return row?.sync_state === 'idle';
    });

    // Give the IDLE connection time to be up and to be renewed a few times.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const started = Date.now();
    const { uid } = await h.dovecot.deliver(ana.user, rawMessage({ subject: 'fresh one' }));
    await eventually(async () => (await received(uid))[0]!.n === 1, 20_000, 'the received event');
    const latency = Date.now() - started;
    expect(latency).toBeLessThan(20_000);
    if (process.env.TEST_LOG_LEVEL)
      console.info(`delivery to email.message.received while IDLE: ${latency} ms`);
    const [row] = await h.admin`select subject, flags from email.email_messages where uid = ${uid}`;
    expect(row).toMatchObject({ subject: 'fresh one' });

    // Another sync later announces nothing again.
    await h.deps.jobs.add('sync-account', { accountId: account.id }, { jobId: `again-${Date.now()}` });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await received())[0]?.n).toBe(1);
  });
});
