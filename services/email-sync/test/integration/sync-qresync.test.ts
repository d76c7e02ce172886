import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncAccount } from '../../src/sync/sync-account.js';
import { connectAccount, type MailHarness, rawMessage, startMailHarness } from '../fixtures/mail-harness.js';

// Dovecot as it comes (CONDSTORE and QRESYNC): deletions are what VANISHED reports, flags what
// changed since the stored HIGHESTMODSEQ. No worker runs: each sync is run here, and answers
// which path it took.
let h: MailHarness;
let n = 0;

beforeAll(async () => {
  h = await startMailHarness({ worker: false, env: { IDLE_ENABLED: 'false', SYNC_EVERY: '1h' } });
});
afterAll(async () => h?.close());

async function syncedMailbox(messages: number) {
  const user = { user: `qr${++n}@example.test`, password: `secret-${n}` };
  await h.dovecot.addUser(user);
  const uids: number[] = [];
  for (let i = 0; i < messages; i++)
    uids.push(
      (await h.dovecot.deliver(user.user, rawMessage({ subject: `message ${i}`, to: user.user }))).uid,
    );
  const { token } = await h.tokens.mint();
  const account = await connectAccount(h, token, user);
  await syncAccount(h.deps, account.id);
  return { user, account, uids };
}

const inboxReport = async (accountId: string) =>
  (await syncAccount(h.deps, accountId)).find((report) => report.path === 'INBOX');

const rows = (accountId: string) =>
  h.admin<{ uid: number; flags: string[] }[]>`
    select uid::int, flags from email.email_messages where account_id = ${accountId} order by uid`;

const events = (accountId: string, subject: string) =>
  h.admin<{ data: Record<string, unknown> }[]>`
    select payload->'data' as data from email.outbox
    where subject = ${subject} and payload->'data'->>'accountId' = ${accountId} order by created_at`;

describe('a server with QRESYNC', () => {
  it('drops an expunged message by VANISHED, without comparing UIDs', async () => {
    const { user, account, uids } = await syncedMailbox(5);
    expect(await inboxReport(account.id)).toEqual({
      path: 'INBOX',
      flags: 'none',
      deletions: 'none',
      deleted: 0,
    });

    const client = await h.dovecot.client(user.user);
    try {
      await client.mailboxOpen('INBOX');
      await client.messageDelete(String(uids[2]), { uid: true });
    } finally {
      await client.logout();
    }
    expect(await inboxReport(account.id)).toEqual({
      path: 'INBOX',
      flags: 'changed-since',
      deletions: 'vanished',
      deleted: 1,
    });
    expect((await rows(account.id)).map((row) => row.uid)).toEqual([uids[0], uids[1], uids[3], uids[4]]);
    expect(await events(account.id, 'email.message.deleted')).toHaveLength(1);
    // Nothing changed since: neither path runs again, and nothing is announced twice.
    expect(await inboxReport(account.id)).toEqual({
      path: 'INBOX',
      flags: 'none',
      deletions: 'none',
      deleted: 0,
    });
    expect(await events(account.id, 'email.message.deleted')).toHaveLength(1);
  });

  it('takes flag changes, expunges and new mail of one interval in one sync', async () => {
    const { user, account, uids } = await syncedMailbox(4);
    const client = await h.dovecot.client(user.user);
    try {
      await client.mailboxOpen('INBOX');
      await client.messageFlagsAdd(String(uids[0]), ['\\Flagged'], { uid: true });
      await client.messageDelete(`${uids[1]},${uids[3]}`, { uid: true });
    } finally {
      await client.logout();
    }
    const { uid: fresh } = await h.dovecot.deliver(user.user, rawMessage({ subject: 'new', to: user.user }));
    expect(await inboxReport(account.id)).toEqual({
      path: 'INBOX',
      flags: 'changed-since',
      deletions: 'vanished',
      deleted: 2,
    });
    const after = await rows(account.id);
    expect(after.map((row) => row.uid)).toEqual([uids[0], uids[2], fresh]);
    expect(after.map((row) => row.flags.includes('\\Flagged'))).toEqual([true, false, false]);
    expect(await events(account.id, 'email.message.deleted')).toHaveLength(2);
    expect(await events(account.id, 'email.message.updated')).toHaveLength(1);
    expect(await events(account.id, 'email.message.received')).toHaveLength(1);
  });
});
