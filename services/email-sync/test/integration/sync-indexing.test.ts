import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexAccountMessages } from '../../src/sync/index-messages.js';
import { syncAccount } from '../../src/sync/sync-account.js';
import {
  allIndexed,
  bearer,
  connectAccount,
  type MailHarness,
  rawMessage,
  startMailHarness,
} from '../fixtures/mail-harness.js';

// A first sync stores mail as IMAP describes it (envelope, flags, size, attachments) with its
// source, and the indexing pass behind it extracts bodies, snippets, threading headers and the
// full-text vector. No worker runs at first: the sync is run here, and its indexing job waits in
// the queue, so the copy can be looked at between the two.
let h: MailHarness;
let token: string;
const ana = { user: 'ana@example.test', password: 'ana-secret-1' };

const multipart = [
  'From: Eve <eve@example.test>',
  'To: ana@example.test',
  'Subject: Plans in HTML',
  'Message-ID: <html-plans@example.test>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/alternative; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Plain words about a gondola.',
  '--b1',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p>HTML words about a <b>gondola</b>.</p>',
  '--b1--',
  '',
].join('\r\n');

beforeAll(async () => {
  h = await startMailHarness({
    users: [ana],
    worker: false,
    env: { IDLE_ENABLED: 'false', SYNC_EVERY: '1h', SYNC_BATCH: '10' },
  });
  ({ token } = await h.tokens.mint());
});
afterAll(async () => h?.close());

const api = (url: string) => h.app.inject({ method: 'GET', url, headers: bearer(token) });
const rowsOf = (accountId: string) =>
  h.admin<
    {
      id: string;
      subject: string;
      indexed: boolean;
      has_source: boolean;
      text_body: string | null;
      snippet: string | null;
      thread_id: string | null;
      references: string[];
    }[]
  >`select id, subject, indexed_at is not null as indexed, raw_source is not null as has_source, text_body,
      snippet, thread_id, "references" from email.email_messages where account_id = ${accountId} order by uid`;
const announced = async (accountId: string) =>
  (
    await h.admin<{ n: number }[]>`
      select count(*)::int as n from email.outbox
      where subject = 'email.message.received' and payload->'data'->>'accountId' = ${accountId}`
  )[0]!.n;

// Before the worker starts (the last test starts it): these passes are run here, by hand.
describe('an indexing pass past a row it cannot write', () => {
  it('writes a failing batch row by row, keeps the row that still fails with its envelope and a parse error, and indexes the rest', async () => {
    const dee = { user: 'dee@example.test', password: 'dee-secret-1' };
    await h.dovecot.addUser(dee);
    for (let i = 0; i < 6; i++)
      await h.dovecot.deliver(
        dee.user,
        rawMessage({
          subject: `log ${i}`,
          to: dee.user,
          body: i === 2 ? 'the cursed canoe' : `plain canoe ${i}`,
        }),
      );
    const account = await connectAccount(h, token, dee);
    await syncAccount(h.deps, account.id);
    expect((await rowsOf(account.id)).filter((row) => !row.indexed)).toHaveLength(6);

    // Postgres refuses one row's extracted body (as it would a value it cannot store): the
    // batch's write fails, and so does that row's own.
    await h.admin.unsafe(`
      create function email.refuse_cursed() returns trigger language plpgsql as $$
      begin
        if new.text_body like '%cursed%' then raise exception 'this body cannot be stored'; end if;
        return new;
      end $$;
      create trigger refuse_cursed before update on email.email_messages
        for each row execute function email.refuse_cursed();`);
    try {
      // Batches of two rows: the failing one is not alone in its batch, and batches follow it.
      expect(await indexAccountMessages(h.deps, account.id, { rows: 2, bytes: 16 * 1024 * 1024 })).toBe(6);
    } finally {
      await h.admin.unsafe(
        'drop trigger refuse_cursed on email.email_messages; drop function email.refuse_cursed();',
      );
    }
    const rows = await rowsOf(account.id);
    for (const row of rows) expect(row).toMatchObject({ indexed: true, has_source: false });
    expect(rows[2]).toMatchObject({ subject: 'log 2', text_body: null, snippet: null });
    expect(rows.filter((row) => row.text_body?.includes('plain canoe'))).toHaveLength(5);
    const [refused] = await h.admin<{ parse_error: string | null }[]>`
      select parse_error from email.email_messages where id = ${rows[2]!.id}`;
    expect(refused!.parse_error).toMatch(/could not be indexed: .*this body cannot be stored/);
    // Found by its envelope still, not by the body it could not keep; the pass is over.
    const bySubject = (await api(`/v1/mail/search?q=log&accountId=${account.id}`)).json();
    expect(bySubject.indexing).toBe(false);
    expect(bySubject.items).toHaveLength(6);
    expect((await api(`/v1/mail/search?q=canoe&accountId=${account.id}`)).json().items).toHaveLength(5);
    expect(await indexAccountMessages(h.deps, account.id)).toBe(0);
  });

  it('stops a batch at its byte budget, and takes a source larger than the budget alone', async () => {
    const eli = { user: 'eli@example.test', password: 'eli-secret-1' };
    await h.dovecot.addUser(eli);
    for (let i = 0; i < 4; i++)
      await h.dovecot.deliver(
        eli.user,
        rawMessage({ subject: `big ${i}`, to: eli.user, body: `walrus ${i} ${'x'.repeat(20_000)}` }),
      );
    const account = await connectAccount(h, token, eli);
    await syncAccount(h.deps, account.id);
    expect(await indexAccountMessages(h.deps, account.id, { rows: 200, bytes: 1000 })).toBe(4);
    for (const row of await rowsOf(account.id))
      expect(row).toMatchObject({ indexed: true, has_source: false });
    expect((await api(`/v1/mail/search?q=walrus&accountId=${account.id}`)).json().items).toHaveLength(4);
  });
});

describe('a first sync and its indexing pass', () => {
  it('stores a usable copy first, searchable once indexed, each message indexed once and never announced', async () => {
    await h.dovecot.deliver(
      ana.user,
      rawMessage({
        subject: 'Quarterly numbers',
        from: 'Carl <carl@example.test>',
        body: 'the forecast mentions zeppelins',
        messageId: '<numbers@example.test>',
      }),
    );
    await h.dovecot.deliver(
      ana.user,
      rawMessage({
        subject: 'Re: Quarterly numbers',
        body: 'more zeppelins please',
        headers: {
          'In-Reply-To': '<numbers@example.test>',
          References: '<root@example.test> <numbers@example.test>',
        },
      }),
    );
    await h.dovecot.deliver(ana.user, multipart);
    const account = await connectAccount(h, token, ana);
    await syncAccount(h.deps, account.id);

    // Stored: envelope fields and sources, nothing extracted yet, nothing announced.
    const stored = await rowsOf(account.id);
    expect(stored.map((row) => row.subject)).toEqual([
      'Quarterly numbers',
      'Re: Quarterly numbers',
      'Plans in HTML',
    ]);
    for (const row of stored)
      expect(row).toMatchObject({ indexed: false, has_source: true, text_body: null });
    expect(await announced(account.id)).toBe(0);

    // Listed already; found by subject and addresses, not by body yet (the answer says it may be
    // incomplete); read from its kept source meanwhile.
    const inbox = (await api(`/v1/mail/accounts/${account.id}/folders`))
      .json()
      .items.find((f: { specialUse: string }) => f.specialUse === 'inbox');
    expect(inbox.sync).toMatchObject({ firstSyncDone: true, fetched: 3, unindexed: 3 });
    const listed = (await api(`/v1/mail/folders/${inbox.id}/messages`)).json().items;
    expect(listed.map((m: { subject: string }) => m.subject)).toEqual([
      'Plans in HTML',
      'Re: Quarterly numbers',
      'Quarterly numbers',
    ]);
    expect((await api('/v1/mail/search?q=zeppelins')).json()).toMatchObject({ items: [], indexing: true });
    const bySubject = (await api(`/v1/mail/search?q=quarterly&accountId=${account.id}`)).json();
    expect(bySubject.indexing).toBe(true);
    expect(bySubject.items.map((m: { subject: string }) => m.subject).sort()).toEqual([
      'Quarterly numbers',
      'Re: Quarterly numbers',
    ]);
    const bySender = (await api('/v1/mail/search?q=carl@example.test')).json().items;
    expect(bySender.map((m: { subject: string }) => m.subject)).toEqual(['Quarterly numbers']);
    const early = (await api(`/v1/mail/messages/${stored[2]!.id}`)).json();
    expect(early).toMatchObject({ text: expect.stringContaining('gondola'), parseError: null });
    expect(early.html).toContain('<b>gondola</b>');
    expect(early.sanitizedHtml).toContain('gondola');
    const earlyReply = (await api(`/v1/mail/messages/${stored[1]!.id}`)).json();
    expect(earlyReply.references).toEqual(['<root@example.test>', '<numbers@example.test>']);

    // The pass: everything extracted, sources dropped, found by search; a second pass does nothing.
    expect(await indexAccountMessages(h.deps, account.id)).toBe(3);
    expect(await indexAccountMessages(h.deps, account.id)).toBe(0);
    const indexed = await rowsOf(account.id);
    for (const row of indexed) expect(row).toMatchObject({ indexed: true, has_source: false });
    expect(indexed[0]!.text_body).toContain('zeppelins');
    expect(indexed[0]!.snippet).toBe('the forecast mentions zeppelins');
    expect(indexed[1]).toMatchObject({
      thread_id: '<root@example.test>',
      references: ['<root@example.test>', '<numbers@example.test>'],
    });
    const after = (await api(`/v1/mail/accounts/${account.id}/folders`))
      .json()
      .items.find((f: { id: string }) => f.id === inbox.id);
    expect(after.sync).toMatchObject({ fetched: 3, unindexed: 0 });
    const foundAnswer = (await api('/v1/mail/search?q=zeppelins')).json();
    expect(foundAnswer.indexing).toBe(false);
    const found = foundAnswer.items;
    expect(found.map((m: { subject: string }) => m.subject).sort()).toEqual([
      'Quarterly numbers',
      'Re: Quarterly numbers',
    ]);
    expect((await api('/v1/mail/search?q=gondola')).json().items).toHaveLength(1);
    const late = (await api(`/v1/mail/messages/${stored[2]!.id}`)).json();
    expect({ text: late.text, html: late.html }).toEqual({ text: early.text, html: early.html });
    expect(await announced(account.id)).toBe(0);
  });

  it('threads and answers a message before it is indexed as a one-pass parse would', async () => {
    const cyd = { user: 'cyd@example.test', password: 'cyd-secret-1' };
    await h.dovecot.addUser(cyd);
    // A reply deep in a thread: its envelope says only what it answers (In-Reply-To), the root
    // of its thread is in References, which IMAP's envelope does not carry.
    const sources = [
      rawMessage({ subject: 'Trip', to: cyd.user, body: 'a ferry', messageId: '<trip@example.test>' }),
      rawMessage({
        subject: 'Re: Trip',
        to: cyd.user,
        body: 'the ferry is late',
        messageId: '<trip-2@example.test>',
        headers: { 'In-Reply-To': '<trip@example.test>', References: '<trip@example.test>' },
      }),
      rawMessage({
        subject: 'Re: Re: Trip',
        to: cyd.user,
        body: 'take the train',
        messageId: '<trip-3@example.test>',
        headers: {
          'In-Reply-To': '<trip-2@example.test>',
          References: '<trip@example.test>\r\n <trip-2@example.test>',
        },
      }),
    ];
    for (const source of sources) await h.dovecot.deliver(cyd.user, source);
    const account = await connectAccount(h, token, cyd);
    await syncAccount(h.deps, account.id);
    const stored = await rowsOf(account.id);
    expect(stored.map((row) => row.indexed)).toEqual([false, false, false]);

    // A reply to the newest, not indexed yet: the whole chain, read from its kept source.
    const sent = await h.app.inject({
      method: 'POST',
      url: '/v1/mail/send',
      headers: bearer(token),
      payload: {
        accountId: account.id,
        to: ['trips@example.test'],
        subject: 'Re: Re: Re: Trip',
        text: 'the train it is',
        inReplyToMessageId: stored[2]!.id,
      },
    });
    expect(sent.statusCode).toBe(202);
    const [outbound] = await h.admin<{ in_reply_to: string; references: string[] }[]>`
      select in_reply_to, "references" from email.email_outbound where id = ${sent.json().id}`;
    expect(outbound).toEqual({
      in_reply_to: '<trip-3@example.test>',
      references: ['<trip@example.test>', '<trip-2@example.test>', '<trip-3@example.test>'],
    });

    // Indexed: every message's References and thread as its source says, all one thread.
    expect(await indexAccountMessages(h.deps, account.id)).toBe(3);
    const indexed = await rowsOf(account.id);
    expect(indexed.map((row) => row.thread_id)).toEqual(Array(3).fill('<trip@example.test>'));
    const thread = (await api(`/v1/mail/messages/${indexed[0]!.id}/thread`)).json().items;
    expect(thread).toHaveLength(3);

    // The same sources again, now found by the incremental sync, which parses as it stores (one
    // pass): the same References and thread ids as the indexing pass gave.
    for (const source of sources) await h.dovecot.deliver(cyd.user, source);
    await syncAccount(h.deps, account.id);
    const all = await rowsOf(account.id);
    expect(all).toHaveLength(6);
    const onePass = all.slice(3);
    for (const row of onePass) expect(row.indexed).toBe(true);
    expect(await announced(account.id)).toBe(3);
    const threading = (row: (typeof all)[number]) => ({
      subject: row.subject,
      threadId: row.thread_id,
      references: row.references,
    });
    expect(onePass.map(threading)).toEqual(indexed.map(threading));
  });

  it('stores a reply in its thread during a first sync, before indexing, as indexing will thread it', async () => {
    const dov = { user: 'dov@example.test', password: 'dov-secret-1' };
    await h.dovecot.addUser(dov);
    // The root, a reply, and a reply to the reply whose References name the root first: keyed by
    // In-Reply-To alone (the envelope's), the last would sit in a thread of its parent's id.
    const chain = [
      rawMessage({ subject: 'Budget', to: dov.user, messageId: '<budget@example.test>' }),
      rawMessage({
        subject: 'Re: Budget',
        to: dov.user,
        messageId: '<budget-2@example.test>',
        headers: { 'In-Reply-To': '<budget@example.test>', References: '<budget@example.test>' },
      }),
      rawMessage({
        subject: 'Re: Re: Budget',
        to: dov.user,
        messageId: '<budget-3@example.test>',
        headers: {
          'In-Reply-To': '<budget-2@example.test>',
          References: '<budget@example.test>\r\n\t<budget-2@example.test>',
        },
      }),
      // Its parent is not in this mailbox: its thread is its References' root all the same.
      rawMessage({
        subject: 'Re: Elsewhere',
        to: dov.user,
        messageId: '<elsewhere-5@example.test>',
        headers: {
          'In-Reply-To': '<elsewhere-4@example.test>',
          References: '<elsewhere@example.test> <elsewhere-4@example.test>',
        },
      }),
    ];
    for (const source of chain) await h.dovecot.deliver(dov.user, source);
    const account = await connectAccount(h, token, dov);
    await syncAccount(h.deps, account.id);
    const stored = await rowsOf(account.id);
    expect(stored.map((row) => row.indexed)).toEqual([false, false, false, false]);
    expect(stored.map((row) => row.thread_id)).toEqual([
      '<budget@example.test>',
      '<budget@example.test>',
      '<budget@example.test>',
      '<elsewhere@example.test>',
    ]);
    // The thread as the API answers it, before indexing: the whole chain.
    const before = (await api(`/v1/mail/messages/${stored[2]!.id}/thread`)).json().items;
    expect(before).toHaveLength(3);

    expect(await indexAccountMessages(h.deps, account.id)).toBe(4);
    const indexed = await rowsOf(account.id);
    const threading = (row: (typeof indexed)[number]) => ({
      threadId: row.thread_id,
      references: row.references,
    });
    expect(indexed.map(threading)).toEqual(stored.map(threading));
  });

  it('keeps each source of a batch byte for byte until it is indexed: 8-bit bytes, backslashes, octal-looking text', async () => {
    const gus = { user: 'gus@example.test', password: 'gus-secret-1' };
    await h.dovecot.addUser(gus);
    const header = (subject: string, charset: string) =>
      Buffer.from(
        `From: Gus <gus@example.test>\r\nTo: ${gus.user}\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@example.test>\r\n` +
          `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=${charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n`,
      );
    const sources = [
      Buffer.concat([header('plain', 'us-ascii'), Buffer.from('nothing to escape here\r\n')]),
      Buffer.concat([
        header('latin', 'iso-8859-1'),
        Buffer.from('C:\\temp\\\\x41 \\000 \\\\ caf'),
        Buffer.from([0xe9, 0x20, 0x80, 0xff, 0x5c, 0x0d, 0x0a]),
      ]),
      Buffer.concat([header('after', 'us-ascii'), Buffer.from('\\x00ff stays text\r\n')]),
    ];
    for (const source of sources) await h.dovecot.deliver(gus.user, source);
    const account = await connectAccount(h, token, gus);
    await syncAccount(h.deps, account.id);

    const stored = await h.admin<{ raw_source: Buffer }[]>`
      select raw_source from email.email_messages where account_id = ${account.id} order by uid`;
    expect(stored.map((row) => row.raw_source.toString('hex'))).toEqual(
      sources.map((s) => s.toString('hex')),
    );
    expect(await indexAccountMessages(h.deps, account.id)).toBe(3);
    const [, latin] = await rowsOf(account.id);
    // mailparser reads ISO-8859-1 as windows-1252, as browsers do: 0x80 is the euro sign.
    expect(latin!.text_body).toContain('C:\\temp\\\\x41 \\000 \\\\ café €ÿ\\');
  });

  it('runs as the worker job the sync queued, after the worker was down when it was queued', async () => {
    const bea = { user: 'bea@example.test', password: 'bea-secret-1' };
    await h.dovecot.addUser(bea);
    for (let i = 0; i < 25; i++)
      await h.dovecot.deliver(bea.user, rawMessage({ subject: `note ${i}`, body: `kayak number ${i}` }));
    const account = await connectAccount(h, token, bea);
    await syncAccount(h.deps, account.id);
    expect((await rowsOf(account.id)).filter((row) => !row.indexed)).toHaveLength(25);

    await h.startWorker();
    await allIndexed(h, account.id, 60_000);
    const rows = await rowsOf(account.id);
    expect(rows).toHaveLength(25);
    for (const row of rows) expect(row).toMatchObject({ indexed: true, has_source: false });
    expect(
      (await api(`/v1/mail/search?q=kayak&accountId=${account.id}&limit=100`)).json().items,
    ).toHaveLength(25);
    expect(await announced(account.id)).toBe(0);
  }, 120_000);
});
