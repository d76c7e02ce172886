import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allIndexed,
  bearer,
  connectAccount,
  eventually,
  type MailHarness,
  startMailHarness,
} from '../fixtures/mail-harness.js';

// Mail is hostile input: broken MIME, a header of 200 KB, 8-bit text in an unknown charset, a
// NUL byte, an unterminated multipart. Each is stored with what could be read, and the sync ends.
let h: MailHarness;
const ana = { user: 'ana@example.test', password: 'ana-secret-1' };

const fixtures: Record<string, Buffer> = {
  'broken-boundary': Buffer.from(
    [
      'From: a@example.test',
      'Subject: broken boundary',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="never-closed"',
      '',
      '--never-closed',
      'Content-Type: text/plain',
      '',
      'the only part, never closed',
      '--never-closed',
      'Content-Type: application/octet-stream; name="x.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      '!!!not base64!!!',
    ].join('\r\n'),
  ),
  'huge-header': Buffer.from(
    [
      'From: b@example.test',
      `Subject: ${'long '.repeat(40_000)}`,
      `X-Huge: ${'x'.repeat(200_000)}`,
      '',
      'body after a huge header',
    ].join('\r\n'),
  ),
  'unknown-charset': Buffer.concat([
    Buffer.from(
      'From: c@example.test\r\nSubject: =?x-unknown?Q?caf=E9?=\r\nContent-Type: text/plain; charset=x-no-such-charset\r\nContent-Transfer-Encoding: 8bit\r\n\r\n',
    ),
    Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff, 0xfe, 0x00, 0x41, 0x0d, 0x0a]),
  ]),
  'latin1-8bit': Buffer.concat([
    Buffer.from(
      'From: =?iso-8859-1?Q?Jos=E9?= <d@example.test>\r\nSubject: 8bit\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n',
    ),
    Buffer.from([0x4a, 0x6f, 0x73, 0xe9, 0x0d, 0x0a]),
  ]),
  'no-headers': Buffer.from('\r\njust a body, no headers at all\r\n'),
  // Over MESSAGE_MAX_BYTES (1 MiB here): an attachment of 1.5 MiB.
  'attachment-over-the-limit': Buffer.from(
    [
      'From: e@example.test',
      'Subject: attachment over the limit',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'a note before a large file',
      '--b1',
      'Content-Type: application/octet-stream; name="large.bin"',
      'Content-Disposition: attachment; filename="large.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      ...(Buffer.alloc(1536 * 1024, 7)
        .toString('base64')
        .match(/.{1,76}/g) ?? []),
      '--b1--',
      '',
    ].join('\r\n'),
  ),
};

beforeAll(async () => {
  h = await startMailHarness({
    users: [ana],
    env: { SYNC_EVERY: '1s', IDLE_ENABLED: 'false', MESSAGE_MAX_BYTES: String(1024 * 1024) },
  });
});
afterAll(async () => h?.close());

describe('malformed mail', () => {
  it('is stored with what could be read, readable through the API, and the sync finishes', async () => {
    for (const raw of Object.values(fixtures)) await h.dovecot.deliver(ana.user, raw);
    const { token } = await h.tokens.mint();
    const account = await connectAccount(h, token, ana);
    await eventually(
      async () => {
        const [row] =
          await h.admin`select sync_state from email.user_email_accounts where id = ${account.id}`;
        const [n] =
          await h.admin`select count(*)::int as n from email.email_messages where account_id = ${account.id}`;
        return row?.sync_state === 'idle' && n?.n === Object.keys(fixtures).length;
      },
      30_000,
      'every message stored',
    );
    await allIndexed(h, account.id);
    const stored = await h.admin<{ id: string; subject: string | null; text_body: string | null }[]>`
      select id, subject, text_body from email.email_messages where account_id = ${account.id} order by uid`;
    expect(stored[0]!.text_body).toContain('the only part');
    expect(stored[1]!.subject!.length).toBeLessThanOrEqual(2000);
    expect(stored[1]!.text_body).toContain('body after a huge header');
    expect(stored[2]!.text_body).not.toContain('\u0000');
    expect(stored[3]!.text_body).toContain('José');
    expect(stored[4]!.text_body).toContain('just a body');
    // Over MESSAGE_MAX_BYTES: stored with its envelope and the attachment it lists, bodies marked
    // cut, the attachment's content still streamed from the server on demand.
    const [large] = await h.admin<
      {
        id: string;
        subject: string;
        body_truncated: boolean;
        attachments: { filename: string; part: string }[];
      }[]
    >`select id, subject, body_truncated, attachments from email.email_messages
        where account_id = ${account.id} and subject = 'attachment over the limit'`;
    expect(large).toMatchObject({ body_truncated: true });
    expect(large!.attachments).toEqual([expect.objectContaining({ filename: 'large.bin' })]);
    const content = await h.app.inject({
      method: 'GET',
      url: `/v1/mail/messages/${large!.id}/attachments/${large!.attachments[0]!.part}`,
      headers: bearer(token),
    });
    expect(content.statusCode, content.body.slice(0, 200)).toBe(200);
    expect(content.rawPayload.length).toBe(1536 * 1024);
    for (const row of stored) {
      const res = await h.app.inject({
        method: 'GET',
        url: `/v1/mail/messages/${row.id}`,
        headers: bearer(token),
      });
      expect(res.statusCode, res.body).toBe(200);
    }
  });
});
