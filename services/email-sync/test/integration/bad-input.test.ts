import { countRows, injectSender, probeUnstorableInput } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA } from '../../src/service.js';
import { bearer, type MailHarness, startMailHarness } from '../fixtures/mail-harness.js';

// Every route of the service, fed what Postgres cannot store (U+0000, lone surrogates, 10,000-deep
// JSON, one character too many) in every string, JSON field and parameter: a 4xx, nothing stored.
let h: MailHarness;
let owner: { token: string };

beforeAll(async () => {
  h = await startMailHarness({ worker: false });
  owner = await h.tokens.mint();
}, 60_000);
afterAll(async () => h?.close(), 30_000);

describe('bad input', () => {
  it('refuses unstorable text and JSON in every field of every route, storing nothing', async () => {
    const before = await countRows(h.admin, [SCHEMA]);
    const report = await probeUnstorableInput({
      document: h.app.swagger(),
      send: injectSender(h.app),
      headers: bearer(owner.token),
    });
    expect(report.failures).toEqual([]);
    expect(report.probes).toBeGreaterThan(50);
    expect(await countRows(h.admin, [SCHEMA])).toEqual(before);
  }, 120_000);

  it('answers malformed JSON, wrong types and bad ids with a 4xx', async () => {
    const cases: [string, string, string | object][] = [
      ['POST', '/v1/mail/accounts', '{"emailAddress": '],
      ['POST', '/v1/mail/accounts', { emailAddress: 42, imap: 'x' }],
      ['PATCH', '/v1/mail/accounts/00000000-0000-0000-0000-000000000000', {}],
      ['GET', '/v1/mail/folders/nope/messages', ''],
      ['GET', '/v1/mail/folders/00000000-0000-0000-0000-000000000000/messages?since=yesterday', ''],
      ['GET', '/v1/mail/folders/00000000-0000-0000-0000-000000000000/messages?unread=maybe', ''],
      ['GET', '/v1/mail/messages/00000000-0000-0000-0000-000000000000/attachments/..%2F1', ''],
      ['PATCH', '/v1/mail/messages/00000000-0000-0000-0000-000000000000', { seen: 'yes' }],
      ['POST', '/v1/mail/messages/00000000-0000-0000-0000-000000000000/move', { folderId: 'inbox' }],
      ['GET', `/v1/mail/search?q=${'x'.repeat(600)}`, ''],
    ];
    for (const [method, url, payload] of cases) {
      const res = await h.app.inject({
        method: method as 'POST',
        url,
        headers: { ...bearer(owner.token), ...(payload !== '' && { 'content-type': 'application/json' }) },
        ...(payload !== '' && { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
      });
      expect(res.statusCode, `${method} ${url}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, `${method} ${url}`).toBeLessThan(500);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });
});
