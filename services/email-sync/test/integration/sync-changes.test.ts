import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  connectAccount,
  eventually,
  type MailHarness,
  rawMessage,
  startMailHarness,
} from '../fixtures/mail-harness.js';

// Polling only (IDLE off, a sync every second): each way a mailbox changes on the server, and
// what the API changes, end up in Postgres with one event each.
let h: MailHarness;
let n = 0;

beforeAll(async () => {
  h = await startMailHarness({ env: { IDLE_ENABLED: 'false', SYNC_EVERY: '1s', FLAG_CHECK_EVERY: '1s' } });
});
afterAll(async () => h?.close());

/** A user of the Dovecot with an account connected and its first sync done. */
async function syncedMailbox(messages = 0) {
  const user = { user: `user${++n}@example.test`, password: `secret-${n}` };
  await h.dovecot.addUser(user);
  const uids: number[] = [];
  for (let i = 0; i < messages; i++)
    uids.push(
      (await h.dovecot.deliver(user.user, rawMessage({ subject: `message ${i}`, to: user.user }))).uid,
    );
  const owner = await h.tokens.mint();
  const account = await connectAccount(h, owner.token, user);
  const inbox = await eventually(
    async () => {
      const [folder] = await h.admin<{ id: string; first_sync_done: boolean }[]>`
      select id, first_sync_done from email.email_folders where account_id = ${account.id} and special_use = 'inbox'`;
      return folder?.first_sync_done ? folder : undefined;
    },
    30_000,
    'the first sync',
  );
  return { user, owner, account, inbox, uids };
}

const events = (accountId: string, subject: string) =>
  h.admin<{ data: Record<string, unknown> }[]>`
    select payload->'data' as data from email.outbox
    where subject = ${subject} and payload->'data'->>'accountId' = ${accountId} order by created_at`;

const rows = (accountId: string) =>
  h.admin<{ id: string; uid: number; subject: string; flags: string[] }[]>`
    select id, uid::int, subject, flags from email.email_messages where account_id = ${accountId} order by uid`;

describe('sync by polling', () => {
  it('stores and announces new mail once', async () => {
    const { user, account } = await syncedMailbox(2);
    const { uid } = await h.dovecot.deliver(user.user, rawMessage({ subject: 'polled', to: user.user }));
    await eventually(async () => (await events(account.id, 'email.message.received')).length === 1);
    const announced = await events(account.id, 'email.message.received');
    expect(announced[0]!.data).toMatchObject({ uid, subject: 'polled', accountId: account.id });
    // Several polls later: still once.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await events(account.id, 'email.message.received')).toHaveLength(1);
    expect((await rows(account.id)).map((r) => r.subject)).toEqual(['message 0', 'message 1', 'polled']);
  });

  it('follows flags changed on the server, and writes flags changed through the API to the server', async () => {
    const { user, owner, account, uids } = await syncedMailbox(3);
    const client = await h.dovecot.client(user.user);
    try {
      await client.mailboxOpen('INBOX');
      await client.messageFlagsAdd(String(uids[1]), ['\\Flagged', '\\Seen'], { uid: true });
    } finally {
      await client.logout();
    }
    await eventually(
      async () => (await rows(account.id))[1]?.flags.includes('\\Flagged'),
      20_000,
      'the server flags',
    );
    expect((await rows(account.id))[1]!.flags).toEqual(['\\Flagged', '\\Seen']);
    const updated = await events(account.id, 'email.message.updated');
    expect(updated).toHaveLength(1);

    // The other way: mark the first one read through the API.
    const first = (await rows(account.id))[0]!;
    const res = await h.app.inject({
      method: 'PATCH',
      url: `/v1/mail/messages/${first.id}`,
      headers: bearer(owner.token),
      payload: { seen: true },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ seen: true, flagged: false });
    const check = await h.dovecot.client(user.user);
    try {
      await check.mailboxOpen('INBOX');
      const onServer = await check.fetchOne(String(first.uid), { flags: true }, { uid: true });
      expect(onServer && [...(onServer.flags ?? [])]).toContain('\\Seen');
    } finally {
      await check.logout();
    }
    // The next syncs see the same flags: no second event for it.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await events(account.id, 'email.message.updated')).toHaveLength(2);
  });

  it('drops a message expunged in the middle of a folder, and only that one', async () => {
    const { user, account, uids } = await syncedMailbox(5);
    const client = await h.dovecot.client(user.user);
    try {
      await client.mailboxOpen('INBOX');
      await client.messageDelete(String(uids[2]), { uid: true });
    } finally {
      await client.logout();
    }
    await eventually(async () => (await rows(account.id)).length === 4, 20_000, 'the expunge');
    expect((await rows(account.id)).map((r) => r.uid)).toEqual([uids[0], uids[1], uids[3], uids[4]]);
    const deleted = await events(account.id, 'email.message.deleted');
    expect(deleted).toHaveLength(1);
    expect(await events(account.id, 'email.message.received')).toHaveLength(0);
  });

  it('keeps a renamed folder with its messages and drops a deleted one', async () => {
    const { user, owner, account } = await syncedMailbox(1);
    await h.dovecot.deliver(user.user, rawMessage({ subject: 'project mail', to: user.user }), {
      folder: 'Projects',
    });
    await h.dovecot.deliver(user.user, rawMessage({ subject: 'old mail', to: user.user }), { folder: 'Old' });
    const folders = async () =>
      h.admin<{ id: string; path: string; n: number }[]>`
        select f.id, f.path, (select count(*)::int from email.email_messages m where m.folder_id = f.id) as n
        from email.email_folders f where f.account_id = ${account.id} order by f.path`;
    await eventually(
      async () => {
        const list = await folders();
        return (
          list.find((f) => f.path === 'Projects')?.n === 1 && list.find((f) => f.path === 'Old')?.n === 1
        );
      },
      20_000,
      'the new folders',
    );
    const projects = (await folders()).find((f) => f.path === 'Projects')!;

    const client = await h.dovecot.client(user.user);
    try {
      await client.mailboxRename('Projects', 'Work');
      await client.mailboxDelete('Old');
    } finally {
      await client.logout();
    }
    await eventually(
      async () => {
        const list = await folders();
        return (
          list.some((f) => f.path === 'Work') && !list.some((f) => f.path === 'Old' || f.path === 'Projects')
        );
      },
      20_000,
      'the rename and the delete',
    );
    const work = (await folders()).find((f) => f.path === 'Work')!;
    expect(work).toEqual({ id: projects.id, path: 'Work', n: 1 });
    const listed = await h.app.inject({
      method: 'GET',
      url: `/v1/mail/accounts/${account.id}/folders`,
      headers: bearer(owner.token),
    });
    expect(listed.json().items.map((f: { path: string }) => f.path)).not.toContain('Old');
    // The deleted folder's message is announced as deleted; the renamed one's is not.
    expect(await events(account.id, 'email.message.deleted')).toHaveLength(1);
    expect(await events(account.id, 'email.message.received')).toHaveLength(0);
  });

  it('re-reads a folder whose UIDVALIDITY changed with one reset event and no received ones', async () => {
    const { user, account, inbox } = await syncedMailbox(4);
    const [before] = await h.admin`select uidvalidity::int from email.email_folders where id = ${inbox.id}`;
    await h.dovecot.resetUidValidity(user.user, 'INBOX');
    await eventually(
      async () => (await events(account.id, 'email.folder.reset')).length === 1,
      20_000,
      'the reset',
    );
    await eventually(
      async () => {
        const [folder] =
          await h.admin`select first_sync_done from email.email_folders where id = ${inbox.id}`;
        return folder?.first_sync_done === true && (await rows(account.id)).length === 4;
      },
      20_000,
      'the folder read again',
    );
    const [after] = await h.admin`select uidvalidity::int from email.email_folders where id = ${inbox.id}`;
    expect(after!.uidvalidity).not.toBe(before!.uidvalidity);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await events(account.id, 'email.folder.reset')).toHaveLength(1);
    expect(await events(account.id, 'email.message.received')).toHaveLength(0);
  });

  it('stops at auth_error when the password stops working, without trying again and again', async () => {
    const { user, owner, account } = await syncedMailbox(1);
    await h.dovecot.addUser({ user: user.user, password: 'changed-elsewhere' });
    await eventually(
      async () => {
        const [row] =
          await h.admin`select sync_state from email.user_email_accounts where id = ${account.id}`;
        return row?.sync_state === 'auth_error';
      },
      20_000,
      'auth_error',
    );
    const state = await h.app.inject({
      method: 'GET',
      url: `/v1/mail/accounts/${account.id}`,
      headers: bearer(owner.token),
    });
    expect(state.json().sync).toMatchObject({ state: 'auth_error' });
    expect(state.json().sync.lastError).toBeTruthy();
    const [first] =
      await h.admin`select last_error_at from email.user_email_accounts where id = ${account.id}`;
    const changes = await events(account.id, 'email.account.state_changed');
    // connecting -> syncing at the first sync (syncing <-> idle is routine, not announced), then the refusal.
    expect(changes.map((e) => e.data.state)).toEqual(['syncing', 'auth_error']);
    // Several poll intervals later nothing tried to log in again.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const [later] =
      await h.admin`select last_error_at, sync_state from email.user_email_accounts where id = ${account.id}`;
    expect(later!.last_error_at).toEqual(first!.last_error_at);
    expect(await events(account.id, 'email.account.state_changed')).toHaveLength(2);
    // Asking for a sync is refused until the credentials change.
    const asked = await h.app.inject({
      method: 'POST',
      url: `/v1/mail/accounts/${account.id}/sync`,
      headers: bearer(owner.token),
    });
    expect(asked.statusCode).toBe(409);
  });

  it('backs off while the server cannot be reached, and recovers when it can', async () => {
    const { account } = await syncedMailbox(1);
    // A server gone away: the port is changed underneath (the API would refuse an unreachable one).
    await h.admin`update email.user_email_accounts set imap_port = 1 where id = ${account.id}`;
    await eventually(
      async () => {
        const [row] =
          await h.admin`select sync_state from email.user_email_accounts where id = ${account.id}`;
        return row?.sync_state === 'connect_error';
      },
      20_000,
      'connect_error',
    );
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const [failing] = await h.admin<{ connect_failures: number; retry_after: Date; last_error: string }[]>`
      select connect_failures, retry_after, last_error from email.user_email_accounts where id = ${account.id}`;
    // Polled every second for six seconds, but the waits double from 500 ms: a handful of tries.
    expect(failing!.connect_failures).toBeGreaterThanOrEqual(2);
    expect(failing!.connect_failures).toBeLessThanOrEqual(5);
    expect(failing!.last_error).toBeTruthy();
    await h.admin`update email.user_email_accounts set imap_port = ${h.dovecot.imapPort} where id = ${account.id}`;
    await eventually(
      async () => {
        const [row] =
          await h.admin`select sync_state, connect_failures from email.user_email_accounts where id = ${account.id}`;
        return row?.sync_state === 'idle' && row.connect_failures === 0;
      },
      30_000,
      'the recovery',
    );
  });
});
