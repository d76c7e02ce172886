import {
  bearer,
  connectAccount,
  eventually,
  type MailHarness,
  startMailHarness,
} from '@conduit/email-sync/test/fixtures/mail-harness.js';
import {
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
} from '@conduit/identity/test/fixtures/identity-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Sending on identity's real usage counters: a send reserves one emails_sent per recipient of the
// sender's plan (identity migration 0010) through rpc.identity.usage.reserve, answered here by
// identity itself (the email harness's stand-in is stopped), is refused with 402 past the limit,
// and gives back what a send that failed for good had reserved.
let mail: MailHarness;
let identity: IdentityHarness;
const ana = { user: 'ana@example.test', password: 'ana-secret-mail-usage' };

beforeAll(async () => {
  mail = await startMailHarness({ users: [ana], env: { SYNC_EVERY: '1h' } });
  await mail.usage.stop();
  mail.usage = { ...mail.usage, stop: async () => {} };
  identity = await startIdentityHarness({ env: { BUS_NAMESPACE: mail.childEnv.BUS_NAMESPACE! } });
}, 180_000);
afterAll(async () => {
  await identity?.close();
  await mail?.close();
});

const counter = async (userId: string) => {
  const [row] = await identity.admin<{ used: number; limit: number }[]>`
    select c.used::int as used, c."limit"::int as limit from identity.usage_counters c
    join identity.user_subscriptions s on s.id = c.subscription_id
    where s.subject_type = 'user' and s.subject_id = ${userId} and c.metric = 'emails_sent'`;
  return row;
};

describe("sending on identity's emails_sent", () => {
  it('counts each recipient, refuses past the limit with 402, and gives back a send that failed for good', async () => {
    const user = await registerUser(identity);
    const userId = user.user.id;
    expect(await counter(userId)).toEqual({ used: 0, limit: 1000 });
    await identity.admin`
      update identity.usage_counters c set "limit" = 4 from identity.user_subscriptions s
      where s.id = c.subscription_id and s.subject_type = 'user' and s.subject_id = ${userId}
        and c.metric = 'emails_sent'`;

    const { token } = await mail.tokens.mint({ userId });
    const accountId = (await connectAccount(mail, token, ana)).id;
    const send = (to: string[], subject: string) =>
      mail.app.inject({
        method: 'POST',
        url: '/v1/mail/send',
        headers: bearer(token),
        payload: { accountId, to, subject, text: 'hello' },
      });

    const first = await send(['a@example.org', 'b@example.org'], 'Two');
    expect(first.statusCode, first.body).toBe(202);
    expect(await counter(userId)).toEqual({ used: 2, limit: 4 });

    const over = await send(['c@example.org', 'd@example.org', 'e@example.org'], 'Three');
    expect(over.statusCode).toBe(402);
    expect(over.json()).toMatchObject({
      code: 'limit_reached',
      metric: 'emails_sent',
      remaining: 2,
      limit: 4,
    });
    expect(await counter(userId)).toEqual({ used: 2, limit: 4 });

    await eventually(
      async () =>
        (
          await mail.admin<{ n: number }[]>`
            select count(*)::int as n from email.email_outbound where status in ('queued', 'sending')`
        )[0]!.n === 0,
      30_000,
      'the first send done',
    );
    mail.smtp.rejectNext(1, 550);
    const bounced = await send(['f@example.org', 'g@example.org'], 'Bounced');
    expect(bounced.statusCode, bounced.body).toBe(202);
    expect(await counter(userId)).toEqual({ used: 4, limit: 4 });
    await eventually(async () => (await counter(userId))?.used === 2, 30_000, 'the failed send given back');
    const [row] = await mail.admin<{ status: string }[]>`
      select status from email.email_outbound where id = ${bounced.json().id}`;
    expect(row!.status).toBe('failed');
  });
});
