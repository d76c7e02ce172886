import { walkPages } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allIndexed,
  bearer,
  connectAccount,
  eventually,
  type MailHarness,
  rawMessage,
  startMailHarness,
} from '../fixtures/mail-harness.js';

let h: MailHarness;
let token: string;
let accountId: string;
let inboxId: string;
const ana = { user: 'ana@example.test', password: 'ana-secret-1' };
const attachmentText = 'quarterly numbers: 1, 2, 3\n';

const htmlWithAttachment = [
  'From: Boss <boss@example.test>',
  'To: ana@example.test',
  'Subject: Report with attachment',
  'Message-ID: <report@example.test>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p>Hello <b>Ana</b><script>alert(1)</script><img src="http://tracker.example/x.gif"><a href="javascript:evil()">x</a></p>',
  '--b1',
  'Content-Type: text/csv; name="numbers.csv"',
  'Content-Disposition: attachment; filename="numbers.csv"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from(attachmentText).toString('base64'),
  '--b1--',
  '',
].join('\r\n');

const api = (method: 'GET' | 'PATCH' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
  h.app.inject({
    method,
    url,
    headers: bearer(token),
    ...(payload !== undefined && { payload: payload as object }),
  });

beforeAll(async () => {
  h = await startMailHarness({ users: [ana], env: { IDLE_ENABLED: 'false', SYNC_EVERY: '1s' } });
  await h.dovecot.deliver(
    ana.user,
    rawMessage({
      subject: 'Lunch plans',
      from: 'Carl <carl@example.test>',
      body: 'pizza or sushi',
      messageId: '<lunch@example.test>',
    }),
  );
  await h.dovecot.deliver(ana.user, htmlWithAttachment, { flags: ['\\Seen'] });
  await h.dovecot.deliver(
    ana.user,
    rawMessage({
      subject: 'Re: Lunch plans',
      from: 'Dora <dora@example.test>',
      body: 'sushi please',
      headers: { 'In-Reply-To': '<lunch@example.test>', References: '<lunch@example.test>' },
    }),
    { flags: ['\\Flagged'] },
  );
  for (let i = 0; i < 4; i++) await h.dovecot.deliver(ana.user, rawMessage({ subject: `filler ${i}` }));
  ({ token } = await h.tokens.mint());
  accountId = (await connectAccount(h, token, ana)).id;
  await eventually(async () => {
    const [row] = await h.admin`select sync_state from email.user_email_accounts where id = ${accountId}`;
    return row?.sync_state === 'idle';
  }, 30_000);
  await allIndexed(h, accountId);
  const folders = await api('GET', `/v1/mail/accounts/${accountId}/folders`);
  inboxId = folders.json().items.find((f: { specialUse: string }) => f.specialUse === 'inbox').id;
});
afterAll(async () => h?.close());

describe('reading mail', () => {
  it('lists folders with counts and messages newest first, filtered, page by page', async () => {
    const folders = (await api('GET', `/v1/mail/accounts/${accountId}/folders`)).json().items;
    const inbox = folders.find((f: { id: string }) => f.id === inboxId);
    expect(inbox).toMatchObject({
      messageCount: 7,
      unreadCount: 6,
      sync: { firstSyncDone: true, total: 7, fetched: 7 },
    });
    expect(folders.map((f: { specialUse: string | null }) => f.specialUse)).toEqual(
      expect.arrayContaining(['trash', 'sent']),
    );

    const all = await walkPages<{ subject: string }>(
      (query) => api('GET', `/v1/mail/folders/${inboxId}/messages?${query}`),
      2,
    );
    expect(all.map((m: { subject: string }) => m.subject)).toEqual([
      'filler 3',
      'filler 2',
      'filler 1',
      'filler 0',
      'Re: Lunch plans',
      'Report with attachment',
      'Lunch plans',
    ]);
    const unread = (await api('GET', `/v1/mail/folders/${inboxId}/messages?unread=false`)).json().items;
    expect(unread.map((m: { subject: string }) => m.subject)).toEqual(['Report with attachment']);
    const flagged = (await api('GET', `/v1/mail/folders/${inboxId}/messages?flagged=true`)).json().items;
    expect(flagged.map((m: { subject: string }) => m.subject)).toEqual(['Re: Lunch plans']);
    const fromCarl = (await api('GET', `/v1/mail/folders/${inboxId}/messages?from=CARL`)).json().items;
    expect(fromCarl.map((m: { subject: string }) => m.subject)).toEqual(['Lunch plans']);
    const future = (
      await api('GET', `/v1/mail/folders/${inboxId}/messages?since=2999-01-01T00:00:00Z`)
    ).json().items;
    expect(future).toEqual([]);
    expect((await api('GET', `/v1/mail/folders/${inboxId}/messages?cursor=bogus`)).statusCode).toBe(400);

    // The other lists, walked two at a time: folders by path, accounts oldest first.
    const walkedFolders = await walkPages<{ path: string }>(
      (query) => api('GET', `/v1/mail/accounts/${accountId}/folders?${query}`),
      2,
    );
    expect(walkedFolders.map((f) => f.path)).toEqual(folders.map((f: { path: string }) => f.path));
    expect(walkedFolders.map((f) => f.path)).toEqual([...walkedFolders.map((f) => f.path)].sort());
    const second = await connectAccount(h, token, ana);
    const third = await connectAccount(h, token, ana);
    const accounts = await walkPages<{ id: string }>((query) => api('GET', `/v1/mail/accounts?${query}`), 2);
    expect(accounts.map((a) => a.id)).toEqual([accountId, second.id, third.id]);
    for (const extra of [second, third])
      expect((await api('DELETE', `/v1/mail/accounts/${extra.id}`)).statusCode).toBe(204);
  });

  it('shows one message with sanitized HTML and streams its attachment from the server', async () => {
    const [item] = (await api('GET', `/v1/mail/search?q=report`)).json().items;
    const message = (await api('GET', `/v1/mail/messages/${item.id}`)).json();
    expect(message.html).toContain('<script>');
    expect(message.sanitizedHtml).toContain('<b>Ana</b>');
    expect(message.sanitizedHtml).not.toMatch(/script|javascript:|tracker\.example/);
    expect(message.attachments).toEqual([
      expect.objectContaining({ filename: 'numbers.csv', contentType: 'text/csv', inline: false }),
    ]);
    const download = await api(
      'GET',
      `/v1/mail/messages/${item.id}/attachments/${message.attachments[0].part}`,
    );
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toContain('text/csv');
    expect(download.body).toBe(attachmentText);
    expect((await api('GET', `/v1/mail/messages/${item.id}/attachments/9`)).statusCode).toBe(404);
  });

  it('finds threads and searches subjects, addresses and bodies', async () => {
    const [reply] = (await api('GET', '/v1/mail/search?q=sushi'))
      .json()
      .items.filter((m: { subject: string }) => m.subject.startsWith('Re:'));
    const thread = (await api('GET', `/v1/mail/messages/${reply.id}/thread`)).json().items;
    expect(thread.map((m: { subject: string }) => m.subject)).toEqual(['Lunch plans', 'Re: Lunch plans']);
    const byAddress = (await api('GET', '/v1/mail/search?q=dora')).json().items;
    expect(byAddress.map((m: { subject: string }) => m.subject)).toEqual(['Re: Lunch plans']);
    const both = (await api('GET', `/v1/mail/search?q=sushi&accountId=${accountId}`)).json().items;
    expect(both).toHaveLength(2);
    expect((await api('GET', '/v1/mail/search?q=')).statusCode).toBe(400);
    const stranger = await h.tokens.mint();
    const theirs = await h.app.inject({
      method: 'GET',
      url: '/v1/mail/search?q=sushi',
      headers: bearer(stranger.token),
    });
    expect(theirs.json().items).toEqual([]);
  });

  it('moves and deletes on the server first, without announcing the moved copy as new', async () => {
    const [filler] = (await api('GET', '/v1/mail/search?q=filler')).json().items;
    const folders = (await api('GET', `/v1/mail/accounts/${accountId}/folders`)).json().items;
    const junk = folders.find((f: { specialUse: string }) => f.specialUse === 'junk');
    const moved = await api('POST', `/v1/mail/messages/${filler.id}/move`, { folderId: junk.id });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ id: filler.id, folderId: junk.id });
    await api('POST', `/v1/mail/accounts/${accountId}/sync`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const [copies] =
      await h.admin`select count(*)::int as n from email.email_messages where subject = ${filler.subject}`;
    expect(copies!.n).toBe(1);

    // Deleted: first to the Trash, then, from the Trash, expunged.
    expect((await api('DELETE', `/v1/mail/messages/${filler.id}`)).statusCode).toBe(204);
    const trash = folders.find((f: { specialUse: string }) => f.specialUse === 'trash');
    const [inTrash] = await h.admin`select folder_id from email.email_messages where id = ${filler.id}`;
    expect(inTrash!.folder_id).toBe(trash.id);
    expect((await api('DELETE', `/v1/mail/messages/${filler.id}`)).statusCode).toBe(204);
    expect((await api('GET', `/v1/mail/messages/${filler.id}`)).statusCode).toBe(404);
    const client = await h.dovecot.client(ana.user);
    try {
      const status = await client.status(trash.path, { messages: true });
      expect(status ? status.messages : undefined).toBe(0);
    } finally {
      await client.logout();
    }
    const [announced] =
      await h.admin`select count(*)::int as n from email.outbox where subject = 'email.message.received'`;
    expect(announced!.n).toBe(0);
    const [deleted] =
      await h.admin`select count(*)::int as n from email.outbox where subject = 'email.message.deleted'`;
    expect(deleted!.n).toBe(1);
  });

  it("answers a move as done when the target's sync stores the moved copy at the same moment", async () => {
    const subject = `raced ${Date.now()}`;
    await h.dovecot.deliver(ana.user, rawMessage({ subject }));
    await api('POST', `/v1/mail/accounts/${accountId}/sync`);
    const message = await eventually(async () => {
      const [row] = await h.admin`select * from email.email_messages where subject = ${subject}`;
      return row;
    });
    const folders = (await api('GET', `/v1/mail/accounts/${accountId}/folders`)).json().items;
    const junk = folders.find((f: { specialUse: string }) => f.specialUse === 'junk');
    // The UID the server will give the moved copy: the Junk folder's next one.
    const client = await h.dovecot.client(ana.user);
    const status = await client
      .status(junk.path, { uidNext: true, uidValidity: true })
      .finally(() => client.logout());
    if (!status) throw new Error('the Junk folder has no status');
    // A sync of Junk storing that copy in a transaction of its own, not yet committed when the
    // move looks for it: the move's update then waits on the copy's key, and finds it taken.
    const sync = await h.admin.reserve();
    try {
      await sync`begin`;
      const [copy] = await sync`
        insert into email.email_messages
        select (jsonb_populate_record(null::email.email_messages, to_jsonb(m) || jsonb_build_object(
          'id', gen_random_uuid(), 'folder_id', ${junk.id}::uuid,
          'uidvalidity', ${Number(status.uidValidity)}::bigint, 'uid', ${status.uidNext ?? 0}::bigint))).*
        from email.email_messages m where m.id = ${message.id}
        returning id`;
      const move = api('POST', `/v1/mail/messages/${message.id}/move`, { folderId: junk.id });
      await eventually(
        async () => {
          const [waiting] = await h.admin`
          select count(*)::int as n from pg_stat_activity
          where wait_event_type = 'Lock' and query like 'update "email"."email_messages"%'`;
          return waiting!.n > 0;
        },
        10_000,
        'the move waiting on the copy',
      );
      await sync`commit`;
      const moved = await move;
      expect(moved.statusCode).toBe(200);
      expect(moved.json()).toMatchObject({ id: copy!.id, folderId: junk.id });
      const rows = await h.admin`select id from email.email_messages where subject = ${subject}`;
      expect(rows.map((row) => row.id)).toEqual([copy!.id]);
    } finally {
      sync.release();
    }
  });
});
