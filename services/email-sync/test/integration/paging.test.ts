import { unrefusedCursors, walkPages } from '@conduit/testing';
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

// The lists of email-sync that reading.test.ts does not walk (drafts, templates, outbound mail,
// search and a thread), read two items at a time from the first page to the last, against the
// same list read whole in one page.

let h: MailHarness;
let token: string;
let accountId: string;
let threadMessageId: string;
const ana = { user: 'ana@example.test', password: 'ana-secret-paging' };

const api = (method: 'GET' | 'POST', url: string, payload?: object) =>
  h.app.inject({ method, url, headers: bearer(token), ...(payload && { payload }) });

async function ok(url: string, payload: object) {
  const response = await api('POST', url, payload);
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response.json() as { id: string };
}

beforeAll(async () => {
  h = await startMailHarness({ users: [ana], env: { IDLE_ENABLED: 'false', SYNC_EVERY: '1h' } });
  // One thread of five messages, each a reply to the one before.
  for (let i = 0; i < 5; i++)
    await h.dovecot.deliver(
      ana.user,
      rawMessage({
        subject: i === 0 ? 'Paging plans' : 'Re: Paging plans',
        body: `paging message ${i}`,
        messageId: `<paging-${i}@example.test>`,
        headers:
          i === 0
            ? {}
            : {
                'In-Reply-To': `<paging-${i - 1}@example.test>`,
                References: Array.from({ length: i }, (_, j) => `<paging-${j}@example.test>`).join(' '),
              },
      }),
    );
  ({ token } = await h.tokens.mint());
  accountId = (await connectAccount(h, token, ana)).id;
  await eventually(async () => {
    const [row] = await h.admin`select sync_state from email.user_email_accounts where id = ${accountId}`;
    return row?.sync_state === 'idle';
  }, 30_000);
  await allIndexed(h, accountId);
  const [last] = await h.admin`select id from email.email_messages
    where account_id = ${accountId} and subject = 'Re: Paging plans' limit 1`;
  threadMessageId = last!.id;
  for (let i = 0; i < 5; i++) {
    await ok('/v1/mail/drafts', { accountId, to: ['bob@example.org'], subject: `draft ${i}`, text: 'words' });
    await ok('/v1/mail/templates', { name: `template ${i}`, subject: 'Hello {{name}}', text: 'Hi {{name}}' });
    await ok('/v1/mail/send', { accountId, to: ['bob@example.org'], subject: `sent ${i}`, text: 'words' });
  }
  // The worker sends the queued mail meanwhile; the outbound list is walked once it has settled, so
  // an item does not change (sentAt, status) between the whole read and the paged one.
  await eventually(async () => {
    const [row] = await h.admin`select count(*)::int as pending from email.email_outbound
      where account_id = ${accountId} and status in ('queued', 'sending')`;
    return row?.pending === 0;
  }, 30_000);
}, 120_000);
afterAll(async () => h?.close());

const lists = () => ({
  drafts: '/v1/mail/drafts',
  templates: '/v1/mail/templates',
  outbound: '/v1/mail/outbound',
  search: '/v1/mail/search?q=paging',
  thread: `/v1/mail/messages/${threadMessageId}/thread`,
});

const get = (path: string) => (query: string) =>
  api('GET', `${path}${path.includes('?') ? '&' : '?'}${query}`);

describe('every list of email-sync', () => {
  for (const name of Object.keys(lists()) as (keyof ReturnType<typeof lists>)[]) {
    it(`${name}: two at a time, every item once and in order; a tampered cursor answers 400`, async () => {
      const path = lists()[name];
      const whole = (await get(path)('limit=100')).json() as { items: unknown[]; nextCursor: string | null };
      expect(whole.nextCursor).toBeNull();
      expect(whole.items.length).toBeGreaterThanOrEqual(5);
      expect(await walkPages(get(path), 2)).toEqual(whole.items);

      const first = (await get(path)('limit=2')).json() as { nextCursor: string };
      expect(await unrefusedCursors(get(path), first.nextCursor)).toEqual([]);
    });
  }
});
