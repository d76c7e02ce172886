import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncAccount } from '../../src/sync/sync-account.js';
import { connectAccount, type MailHarness, rawMessage, startMailHarness } from '../fixtures/mail-harness.js';

// A Dovecot that announces neither CONDSTORE nor QRESYNC (an older or simpler server): flags are
// followed by a full check at most every FLAG_CHECK_EVERY (an hour here), deletions by comparing
// UIDs. No worker runs: each sync is run here, and answers which path it took.
let h: MailHarness;

beforeAll(async () => {
  h = await startMailHarness({
    worker: false,
    imapWithout: ['CONDSTORE', 'QRESYNC'],
    env: { IDLE_ENABLED: 'false', SYNC_EVERY: '1h', FLAG_CHECK_EVERY: '1h' },
  });
});
afterAll(async () => h?.close());

const inboxReport = async (accountId: string) =>
  (await syncAccount(h.deps, accountId)).find((report) => report.path === 'INBOX');

const rows = (accountId: string) =>
  h.admin<{ uid: number; flags: string[] }[]>`
    select uid::int, flags from email.email_messages where account_id = ${accountId} order by uid`;

const inbox = async (accountId: string) =>
  (
    await h.admin<{ highestmodseq: string | null; checked_ago: number | null }[]>`
      select highestmodseq::text, extract(epoch from now() - last_full_check_at)::float as checked_ago
      from email.email_folders where account_id = ${accountId} and special_use = 'inbox'`
  )[0]!;

const events = (accountId: string, subject: string) =>
  h.admin<{ data: Record<string, unknown> }[]>`
    select payload->'data' as data from email.outbox
    where subject = ${subject} and payload->'data'->>'accountId' = ${accountId} order by created_at`;

describe('a server without CONDSTORE or QRESYNC', () => {
  it('checks all flags at most every FLAG_CHECK_EVERY, and finds expunges by comparing UIDs', async () => {
    const user = { user: 'ana@example.test', password: 'ana-secret-1' };
    await h.dovecot.addUser(user);
    const uids: number[] = [];
    // A keyword beside a system flag: stored and compared in one order (a full check must not
    // see a change where only the sort order differs).
    for (let i = 0; i < 4; i++)
      uids.push(
        (
          await h.dovecot.deliver(user.user, rawMessage({ subject: `message ${i}`, to: user.user }), {
            flags: i === 0 ? ['$Label', '\\Answered'] : [],
          })
        ).uid,
      );
    const { token } = await h.tokens.mint();
    const account = await connectAccount(h, token, user);
    // The first sync, then its first full check of flags (none was done yet).
    expect((await syncAccount(h.deps, account.id)).find((r) => r.path === 'INBOX')).toMatchObject({
      flags: 'full-check',
    });
    const first = await inbox(account.id);
    expect(first.highestmodseq).toBeNull();
    expect(first.checked_ago).toBeLessThan(60);

    // A flag changed on the server within the hour: syncs go on (new mail arrives) but read no
    // flags, so a folder is not fetched whole at every poll.
    const client = await h.dovecot.client(user.user);
    try {
      await client.mailboxOpen('INBOX');
      await client.messageFlagsAdd(String(uids[1]), ['\\Flagged'], { uid: true });
    } finally {
      await client.logout();
    }
    const { uid: fresh } = await h.dovecot.deliver(user.user, rawMessage({ subject: 'new', to: user.user }));
    for (let i = 0; i < 2; i++)
      expect(await inboxReport(account.id)).toEqual({
        path: 'INBOX',
        flags: 'none',
        deletions: 'none',
        deleted: 0,
      });
    expect((await rows(account.id)).map((row) => row.uid)).toEqual([...uids, fresh]);
    expect((await rows(account.id))[1]!.flags).not.toContain('\\Flagged');
    expect(await events(account.id, 'email.message.updated')).toHaveLength(0);

    // The hour is up: the next sync checks every flag, once.
    await h.admin`
      update email.email_folders set last_full_check_at = now() - interval '61 minutes'
      where account_id = ${account.id} and special_use = 'inbox'`;
    expect(await inboxReport(account.id)).toEqual({
      path: 'INBOX',
      flags: 'full-check',
      deletions: 'none',
      deleted: 0,
    });
    expect((await rows(account.id))[1]!.flags).toContain('\\Flagged');
    expect(await events(account.id, 'email.message.updated')).toHaveLength(1);
    expect((await inbox(account.id)).checked_ago).toBeLessThan(60);
    expect(await inboxReport(account.id)).toMatchObject({ flags: 'none' });

    // An expunge: no VANISHED from this server, the UID compare finds it.
    const expunging = await h.dovecot.client(user.user);
    try {
      await expunging.mailboxOpen('INBOX');
      await expunging.messageDelete(String(uids[2]), { uid: true });
    } finally {
      await expunging.logout();
    }
    expect(await inboxReport(account.id)).toEqual({
      path: 'INBOX',
      flags: 'none',
      deletions: 'uid-compare',
      deleted: 1,
    });
    expect((await rows(account.id)).map((row) => row.uid)).toEqual([uids[0], uids[1], uids[3], fresh]);
    expect(await events(account.id, 'email.message.deleted')).toHaveLength(1);
  });
});
