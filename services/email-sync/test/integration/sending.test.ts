import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  connectAccount,
  eventually,
  type MailHarness,
  startMailHarness,
} from '../fixtures/mail-harness.js';

// Sending through the real test SMTP server (which also delivers into the test Dovecot), with
// polling of the mailbox off so the only IMAP traffic besides IDLE is the send job's.
let h: MailHarness;
const ana = { user: 'ana@example.test', password: 'ana-secret-send' };
const bob = { user: 'bob@example.test', password: 'bob-secret-send' };
let token: string;
let accountId: string;

beforeAll(async () => {
  h = await startMailHarness({ users: [ana, bob], env: { SYNC_EVERY: '1h', CONNECT_BACKOFF: '300ms' } });
  ({ token } = await h.tokens.mint());
  accountId = (await connectAccount(h, token, ana)).id;
});
afterAll(async () => h?.close());

const outboundStatus = (id: string) =>
  h.admin<{ status: string; attempts: number; last_error: string | null; appended_to_sent: boolean }[]>`
    select status, attempts, last_error, appended_to_sent from email.email_outbound where id = ${id}`.then(
    (rows) => rows[0],
  );

const eventsFor = (id: string) =>
  h.admin<{ subject: string; payload: { data: Record<string, unknown> } }[]>`
    select subject, payload from email.outbox where payload->'data'->>'outboundId' = ${id} order by created_at`;

async function send(payload: Record<string, unknown>) {
  const res = await h.app.inject({ method: 'POST', url: '/v1/mail/send', headers: bearer(token), payload });
  expect(res.statusCode, res.body).toBe(202);
  return res.json() as { id: string; messageId: string; status: string };
}

const received = (messageId: string) => h.smtp.received.filter((mail) => `<${mail.messageId}>` === messageId);

describe('drafts', () => {
  it('a draft is written, changed, listed and sent: it arrives, lands in Sent, and the draft is gone', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/mail/drafts',
      headers: bearer(token),
      payload: { accountId, to: [bob.user], subject: 'Draft subject', text: 'first words' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const draft = created.json();
    const changed = await h.app.inject({
      method: 'PATCH',
      url: `/v1/mail/drafts/${draft.id}`,
      headers: bearer(token),
      payload: {
        text: 'Hello Bob, ünïcödé',
        cc: ['carol@example.org'],
        attachments: [
          {
            filename: 'a.txt',
            contentType: 'text/plain',
            contentBase64: Buffer.from('attached').toString('base64'),
          },
        ],
      },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({
      text: 'Hello Bob, ünïcödé',
      attachments: [{ filename: 'a.txt', size: 8 }],
    });
    const list = await h.app.inject({
      method: 'GET',
      url: `/v1/mail/drafts?accountId=${accountId}`,
      headers: bearer(token),
    });
    expect(list.json().items.map((item: { id: string }) => item.id)).toContain(draft.id);

    const sent = await h.app.inject({
      method: 'POST',
      url: `/v1/mail/drafts/${draft.id}/send`,
      headers: bearer(token),
      payload: {},
    });
    expect(sent.statusCode, sent.body).toBe(202);
    const outbound = sent.json();
    expect(outbound).toMatchObject({
      status: 'queued',
      source: 'draft',
      to: [bob.user],
      cc: ['carol@example.org'],
    });
    await eventually(
      async () => (await outboundStatus(outbound.id))?.status === 'sent',
      20_000,
      'the draft sent',
    );
    const [mail] = received(outbound.messageId);
    expect(mail?.envelope).toEqual({ from: ana.user, to: [bob.user, 'carol@example.org'] });
    expect(mail?.raw.toString()).toContain('Subject: Draft subject');
    expect(mail?.raw.toString()).toContain('filename=a.txt');

    const gone = await h.app.inject({
      method: 'GET',
      url: `/v1/mail/drafts/${draft.id}`,
      headers: bearer(token),
    });
    expect(gone.statusCode).toBe(404);
    await eventually(
      async () => (await outboundStatus(outbound.id))?.appended_to_sent,
      20_000,
      'the copy in Sent',
    );
    const imap = await h.dovecot.client(ana.user);
    try {
      const lock = await imap.getMailboxLock('Sent');
      try {
        const uids = await imap.search({ header: { 'message-id': outbound.messageId } }, { uid: true });
        expect(uids).toHaveLength(1);
      } finally {
        lock.release();
      }
    } finally {
      await imap.logout();
    }
    const events = await eventsFor(outbound.id);
    expect(events.map((event) => event.subject)).toEqual(['email.message.sent']);
    expect(events[0]!.payload.data).toMatchObject({
      accountId,
      internetMessageId: outbound.messageId,
      recipients: 2,
      attempts: 1,
    });
  });

  it('refuses bad input with 4xx and a draft without recipients with 422', async () => {
    const bad = await h.app.inject({
      method: 'POST',
      url: '/v1/mail/drafts',
      headers: bearer(token),
      payload: { accountId, to: ['not an address'], subject: 'x\u0000' },
    });
    expect(bad.statusCode).toBe(400);
    const huge = await h.app.inject({
      method: 'POST',
      url: '/v1/mail/send',
      headers: bearer(token),
      payload: {
        accountId,
        to: [bob.user],
        attachments: [
          { filename: 'big.bin', contentBase64: Buffer.alloc(9 * 1024 * 1024).toString('base64') },
        ],
      },
    });
    // Over the body limit (413) or over the attachment limit (400): refused before anything is stored.
    expect([400, 413]).toContain(huge.statusCode);
    const empty = await h.app.inject({
      method: 'POST',
      url: '/v1/mail/drafts',
      headers: bearer(token),
      payload: { accountId },
    });
    const unsent = await h.app.inject({
      method: 'POST',
      url: `/v1/mail/drafts/${empty.json().id}/send`,
      headers: bearer(token),
      payload: {},
    });
    expect(unsent.statusCode).toBe(422);
  });
});

describe('sending', () => {
  it('a send whose connection drops after DATA is retried with the same Message-ID: one unique copy, then no more attempts', async () => {
    h.smtp.dropAfterData(1);
    const outbound = await send({ accountId, to: [bob.user], subject: 'Dropped once', text: 'again' });
    await eventually(
      async () => (await outboundStatus(outbound.id))?.status === 'sent',
      30_000,
      'the retried send',
    );
    const copies = received(outbound.messageId);
    expect(copies).toHaveLength(2);
    expect(copies[0]!.raw.equals(copies[1]!.raw)).toBe(true);
    expect(
      h.smtp.uniqueMessages().filter((mail) => `<${mail.messageId}>` === outbound.messageId),
    ).toHaveLength(1);
    expect(await outboundStatus(outbound.id)).toMatchObject({ status: 'sent', attempts: 2 });
    // Delivered once into Bob's mailbox although the server read it twice.
    const imap = await h.dovecot.client(bob.user);
    try {
      const lock = await imap.getMailboxLock('INBOX');
      try {
        expect(
          await imap.search({ header: { 'message-id': outbound.messageId } }, { uid: true }),
        ).toHaveLength(1);
      } finally {
        lock.release();
      }
    } finally {
      await imap.logout();
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(received(outbound.messageId)).toHaveLength(2);
    expect((await eventsFor(outbound.id)).map((event) => event.subject)).toEqual(['email.message.sent']);
  });

  it('a 5xx rejection is final: email.message.failed, no second attempt', async () => {
    h.smtp.rejectNext(1, 550);
    const outbound = await send({ accountId, to: [bob.user], subject: 'Refused', text: 'no' });
    await eventually(
      async () => (await outboundStatus(outbound.id))?.status === 'failed',
      30_000,
      'the failure',
    );
    const events = await eventsFor(outbound.id);
    expect(events.map((event) => event.subject)).toEqual(['email.message.failed']);
    expect(String(events[0]!.payload.data.error)).toContain('550');
    const row = await outboundStatus(outbound.id);
    expect(row).toMatchObject({ attempts: 1 });
    const get = await h.app.inject({
      method: 'GET',
      url: `/v1/mail/outbound/${outbound.id}`,
      headers: bearer(token),
    });
    expect(get.json()).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('a 4xx answer is retried until the server takes it', async () => {
    h.smtp.rejectNext(2, 451);
    const outbound = await send({ accountId, to: [bob.user], subject: 'Greylisted', text: 'later' });
    await eventually(
      async () => (await outboundStatus(outbound.id))?.status === 'sent',
      40_000,
      'the send after 4xx',
    );
    expect(await outboundStatus(outbound.id)).toMatchObject({ attempts: 3 });
    expect(received(outbound.messageId)).toHaveLength(1);
  });

  it('a scheduled send goes at its time, not before, and a queued one can be canceled', async () => {
    const sendAt = new Date(Date.now() + 4000);
    const outbound = await send({
      accountId,
      to: [bob.user],
      subject: 'Later',
      text: 'at its time',
      sendAt: sendAt.toISOString(),
    });
    const canceled = await send({
      accountId,
      to: [bob.user],
      subject: 'Never',
      sendAt: new Date(Date.now() + 60_000).toISOString(),
    });
    const cancel = await h.app.inject({
      method: 'POST',
      url: `/v1/mail/outbound/${canceled.id}/cancel`,
      headers: bearer(token),
    });
    expect(cancel.json()).toMatchObject({ status: 'canceled' });
    await eventually(async () => received(outbound.messageId).length > 0, 30_000, 'the scheduled send');
    const arrivedAt = Date.now();
    expect(arrivedAt).toBeGreaterThanOrEqual(sendAt.getTime() - 50);
    expect(received(canceled.messageId)).toHaveLength(0);
  });

  it('a reply carries In-Reply-To and References of the message it answers; an idempotency key sends once', async () => {
    const [folder] = await h.admin<{ id: string }[]>`
      select id from email.email_folders where account_id = ${accountId} and special_use = 'inbox'`;
    const folderId =
      folder?.id ??
      (
        await h.admin<{ id: string }[]>`
      insert into email.email_folders (id, account_id, name, path) values (gen_random_uuid(), ${accountId}, 'INBOX', 'INBOX')
      returning id`
      )[0]!.id;
    const [message] = await h.admin<{ id: string }[]>`
      insert into email.email_messages (id, account_id, folder_id, uidvalidity, uid, message_id, "references", received_at)
      values (gen_random_uuid(), ${accountId}, ${folderId}, 1, 999999, '<orig@example.test>', '{<root@example.test>}', now())
      returning id`;
    const body = {
      accountId,
      to: [bob.user],
      subject: 'Re: hi',
      text: 'reply',
      inReplyToMessageId: message!.id,
      idempotencyKey: 'reply-1',
    };
    const first = await send(body);
    const second = await send(body);
    expect(second.id).toBe(first.id);
    await eventually(async () => received(first.messageId).length > 0, 20_000, 'the reply');
    const raw = received(first.messageId)[0]!.raw.toString();
    expect(raw).toContain('In-Reply-To: <orig@example.test>');
    expect(raw).toMatch(/References: <root@example.test>\s+<orig@example.test>/);
  });

  it('never puts the password in the outbound rows, jobs or events', async () => {
    const rows = await h.admin`select * from email.email_outbound`;
    const events = await h.admin`select payload from email.outbox`;
    const jobs = await h.deps.jobs.queue.getJobs(['completed', 'failed', 'delayed', 'waiting', 'active']);
    const everything = JSON.stringify([rows, events, jobs.map((job) => job.data)]);
    expect(rows.length).toBeGreaterThan(0);
    expect(jobs.length).toBeGreaterThan(0);
    expect(everything).not.toContain(ana.password);
  });
});
