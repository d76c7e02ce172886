import { randomUUID } from 'node:crypto';
import { conversationEvents, type EventEnvelope, identityEvents } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { serveUsageStandIn, startSmtpServer, type TestSmtpServer } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  connectAccount,
  eventually,
  type MailHarness,
  startMailHarness,
} from '../fixtures/mail-harness.js';

// Sending is paid from identity's emails_sent, one per recipient, of the mail's team else its
// owner, when the plan limits it: identity's usage RPCs are answered on the real bus by the usage
// stand-in (identity's own tests cover its counters), mail goes to real test SMTP servers.
let h: MailHarness;
let platform: TestSmtpServer;
const ana = { user: 'ana@example.test', password: 'ana-secret-usage' };
const bob = { user: 'bob@example.test', password: 'bob-secret-usage' };
const teamId = randomUUID();
let me: { token: string; userId: string };
let accountId: string;
let teamAccountId: string;

beforeAll(async () => {
  platform = await startSmtpServer();
  h = await startMailHarness({
    users: [ana, bob],
    env: { SYNC_EVERY: '1h', MAIL_URL: `smtp://127.0.0.1:${platform.port}`, MAIL_FROM: 'bots@conduit.test' },
  });
  me = await h.tokens.mint({ teams: { [teamId]: 'owner' } });
  accountId = (await connectAccount(h, me.token, ana)).id;
  teamAccountId = (await connectAccount(h, me.token, bob, { teamId })).id;
});
afterAll(async () => {
  await h?.close();
  await platform?.stop();
});

const post = (url: string, payload: Record<string, unknown>) =>
  h.app.inject({ method: 'POST', url, headers: bearer(me.token), payload });

const outboundRow = (id: string) =>
  h.admin<
    {
      status: string;
      last_error: string | null;
      usage_subject_type: string | null;
      usage_subject_id: string | null;
      usage_amount: number | null;
      usage_period_end: Date | null;
      usage_released_at: Date | null;
    }[]
  >`select status, last_error, usage_subject_type, usage_subject_id, usage_amount, usage_period_end,
      usage_released_at from email.email_outbound where id = ${id}`.then((rows) => rows[0]);

const outboundCount = (subject: string) =>
  h.admin<
    { n: number }[]
  >`select count(*)::int as n from email.email_outbound where subject = ${subject}`.then(
    (rows) => rows[0]!.n,
  );

const lastCall = () => h.usage.calls.at(-1);

/** Runs `work` while identity refuses emails_sent, with 1 left of 1000. */
async function whileRefused(work: () => Promise<void>) {
  h.usage.refuse.set('emails_sent', { remaining: 1, limit: 1000 });
  try {
    await work();
  } finally {
    h.usage.refuse.delete('emails_sent');
  }
}

describe('sending from the API', () => {
  it('reserves one emails_sent per recipient of the sender, or of the team for a team account', async () => {
    const res = await post('/v1/mail/send', {
      accountId,
      to: [bob.user, 'carol@example.org'],
      cc: ['dan@example.org'],
      bcc: ['eve@example.org'],
      subject: 'Four recipients',
      text: 'hello',
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(lastCall()).toEqual({
      subject: { type: 'user', id: me.userId },
      items: [{ metric: 'emails_sent', amount: 4 }],
    });
    const sent = res.json() as { id: string; messageId: string };
    await eventually(async () => (await outboundRow(sent.id))?.status === 'sent', 30_000, 'the send');
    expect(await outboundRow(sent.id)).toMatchObject({
      usage_subject_type: 'user',
      usage_subject_id: me.userId,
      usage_amount: 4,
      usage_period_end: new Date('2030-01-01T00:00:00.000Z'),
      usage_released_at: null,
    });
    expect(h.usage.releases).toHaveLength(0);

    const team = await post('/v1/mail/send', {
      accountId: teamAccountId,
      to: [ana.user],
      subject: 'Team',
      text: 'x',
    });
    expect(team.statusCode, team.body).toBe(202);
    expect(lastCall()).toEqual({
      subject: { type: 'team', id: teamId },
      items: [{ metric: 'emails_sent', amount: 1 }],
    });
  });

  it('refuses with 402 and what is left when the mail does not fit: send, a draft (kept) and a template', async () =>
    whileRefused(async () => {
      const refused = await post('/v1/mail/send', {
        accountId,
        to: [bob.user, 'carol@example.org'],
        subject: 'Over the limit',
        text: 'no',
      });
      expect(refused.statusCode).toBe(402);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.json()).toMatchObject({
        status: 402,
        code: 'limit_reached',
        metric: 'emails_sent',
        remaining: 1,
        limit: 1000,
        periodEnd: '2030-01-01T00:00:00.000Z',
      });
      expect(refused.json().detail ?? refused.json().title).toContain('1 of 1000');
      expect(await outboundCount('Over the limit')).toBe(0);

      const draft = await post('/v1/mail/drafts', {
        accountId,
        to: [bob.user, 'x@example.org'],
        subject: 'Draft over',
      });
      expect(draft.statusCode, draft.body).toBe(201);
      const draftSend = await post(`/v1/mail/drafts/${draft.json().id}/send`, {});
      expect(draftSend.statusCode).toBe(402);
      expect(draftSend.json()).toMatchObject({ code: 'limit_reached', remaining: 1 });
      const kept = await h.app.inject({
        method: 'GET',
        url: `/v1/mail/drafts/${draft.json().id}`,
        headers: bearer(me.token),
      });
      expect(kept.statusCode).toBe(200);

      const template = await post('/v1/mail/templates', { name: 'Usage', subject: 'Tpl over', text: 'Hi' });
      expect(template.statusCode, template.body).toBe(201);
      const templateSend = await post(`/v1/mail/templates/${template.json().id}/send`, {
        accountId,
        to: [bob.user, 'x@example.org'],
      });
      expect(templateSend.statusCode).toBe(402);
      expect(templateSend.json()).toMatchObject({ code: 'limit_reached', metric: 'emails_sent' });
      expect(await outboundCount('Tpl over')).toBe(0);
      expect(await outboundCount('Draft over')).toBe(0);
    }));

  it('sends without limit when the plan does not limit emails_sent, and reserves nothing', async () => {
    h.usage.unlimited.add('emails_sent');
    try {
      const res = await post('/v1/mail/send', {
        accountId,
        to: [bob.user],
        subject: 'Unlimited plan',
        text: 'z',
      });
      expect(res.statusCode, res.body).toBe(202);
      const { id } = res.json() as { id: string };
      await eventually(async () => (await outboundRow(id))?.status === 'sent', 30_000, 'the send');
      expect(await outboundRow(id)).toMatchObject({ usage_subject_type: null, usage_amount: null });
    } finally {
      h.usage.unlimited.delete('emails_sent');
    }
  });

  it('refuses with 402, writing nothing, when identity has no subscription of the payer', async () => {
    h.usage.withoutSubscription.add(me.userId);
    try {
      const res = await post('/v1/mail/send', {
        accountId,
        to: [bob.user],
        subject: 'No subscription',
        text: 'n',
      });
      expect(res.statusCode).toBe(402);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({
        code: 'limit_reached',
        detail: "This sender's plan does not include sending mail.",
        metric: 'emails_sent',
        remaining: 0,
        limit: 0,
      });
      expect(await outboundCount('No subscription')).toBe(0);
    } finally {
      h.usage.withoutSubscription.delete(me.userId);
    }
  });

  it('reserves once for a request sent twice with the same idempotency key', async () => {
    const payload = {
      accountId,
      to: [bob.user],
      subject: 'Keyed',
      text: 'k',
      idempotencyKey: `k-${uuidv7()}`,
    };
    const before = h.usage.calls.length;
    const first = await post('/v1/mail/send', payload);
    const second = await post('/v1/mail/send', payload);
    expect(second.json().id).toBe(first.json().id);
    expect(h.usage.calls.length - before).toBe(1);
  });

  it('gives the reservation back once when a send fails for good, and when a scheduled send is canceled', async () => {
    // The next DATA is refused: no earlier message may still be on its way to take the refusal.
    await eventually(
      async () =>
        (
          await h.admin<{ n: number }[]>`select count(*)::int as n from email.email_outbound
            where status in ('queued', 'sending') and send_at <= now() + interval '5 seconds'`
        )[0]!.n === 0,
      30_000,
      'earlier sends done',
    );
    h.smtp.rejectNext(1, 550);
    const failed = await post('/v1/mail/send', {
      accountId,
      to: [bob.user, 'c@example.org'],
      subject: 'Bounced',
      text: 'no',
    });
    expect(failed.statusCode).toBe(202);
    const failedId = failed.json().id as string;
    await eventually(async () => (await outboundRow(failedId))?.status === 'failed', 30_000, 'the failure');
    await eventually(async () => h.usage.releases.length === 1, 10_000, 'the release');
    expect(h.usage.releases[0]).toEqual({
      subject: { type: 'user', id: me.userId },
      items: [{ metric: 'emails_sent', amount: 2 }],
    });
    expect((await outboundRow(failedId))?.usage_released_at).toBeInstanceOf(Date);

    const scheduled = await post('/v1/mail/send', {
      accountId: teamAccountId,
      to: [ana.user],
      subject: 'Canceled later',
      sendAt: new Date(Date.now() + 60_000).toISOString(),
    });
    const cancel = await post(`/v1/mail/outbound/${scheduled.json().id}/cancel`, {});
    expect(cancel.json()).toMatchObject({ status: 'canceled' });
    expect(h.usage.releases).toHaveLength(2);
    expect(h.usage.releases[1]).toEqual({
      subject: { type: 'team', id: teamId },
      items: [{ metric: 'emails_sent', amount: 1 }],
    });
    const again = await post(`/v1/mail/outbound/${scheduled.json().id}/cancel`, {});
    expect(again.statusCode).toBe(409);
    expect(h.usage.releases).toHaveLength(2);
  });
});

describe('mail other services ask for', () => {
  const publish = async (envelope: EventEnvelope) => {
    await h.bus.ensureStream(envelope.subject.split('.')[0]!);
    await h.bus.js.publish(h.bus.subject(envelope.subject), JSON.stringify(envelope), { msgID: envelope.id });
  };
  const byKey = (key: string) =>
    h.admin<{ id: string; status: string; last_error: string | null; user_id: string }[]>`
      select id, status, last_error, user_id from email.email_outbound where idempotency_key = ${key}`;
  const processedCount = (eventId: string) =>
    h.admin<
      { n: number }[]
    >`select count(*)::int as n from email.processed_events where event_id = ${eventId}`.then(
      (rows) => rows[0]!.n,
    );

  it("a bot's SEND MAIL that does not fit is recorded as failed with the reason, applied once, never sent", async () =>
    whileRefused(async () => {
      const userId = uuidv7();
      const envelope = conversationEvents.mailRequested.envelope.parse({
        id: uuidv7(),
        subject: conversationEvents.mailRequested.subject,
        version: conversationEvents.mailRequested.version,
        occurredAt: new Date().toISOString(),
        actor: { userId, sessionId: null, orgId: null },
        data: {
          sessionId: uuidv7(),
          botId: uuidv7(),
          userId,
          to: ['a@example.org', 'b@example.org'],
          subject: 'Bot over the limit',
          body: 'no',
        },
      });
      await publish(envelope);
      const key = `conversation:${envelope.id}`;
      const [row] = await eventually(
        async () => {
          const rows = await byKey(key);
          return rows.length > 0 && rows;
        },
        20_000,
        'the refused request recorded',
      );
      expect(row).toMatchObject({ status: 'failed', user_id: userId });
      expect(row!.last_error).toContain('used up');
      expect(lastCall()).toEqual({
        subject: { type: 'user', id: userId },
        items: [{ metric: 'emails_sent', amount: 2 }],
      });
      expect(await processedCount(envelope.id)).toBe(1);
      const events = await h.admin<{ subject: string; payload: { data: Record<string, unknown> } }[]>`
      select subject, payload from email.outbox where payload->'data'->>'outboundId' = ${row!.id}`;
      expect(events.map((event) => event.subject)).toEqual(['email.message.failed']);
      expect(events[0]!.payload.data).toMatchObject({ attempts: 0, recipients: 2, source: 'bot' });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await byKey(key)).toHaveLength(1);
      expect(
        platform.received.filter((mail) => mail.raw.toString().includes('Bot over the limit')),
      ).toHaveLength(0);
    }));

  it("a bot's SEND MAIL for a payer without a subscription is recorded as failed, applied once, never sent", async () => {
    const userId = uuidv7();
    h.usage.withoutSubscription.add(userId);
    try {
      const envelope = conversationEvents.mailRequested.envelope.parse({
        id: uuidv7(),
        subject: conversationEvents.mailRequested.subject,
        version: conversationEvents.mailRequested.version,
        occurredAt: new Date().toISOString(),
        actor: { userId, sessionId: null, orgId: null },
        data: {
          sessionId: uuidv7(),
          botId: uuidv7(),
          userId,
          to: ['a@example.org'],
          subject: 'Bot without a plan',
          body: 'no',
        },
      });
      await publish(envelope);
      const key = `conversation:${envelope.id}`;
      const [row] = await eventually(
        async () => {
          const rows = await byKey(key);
          return rows.length > 0 && rows;
        },
        20_000,
        'the refused request recorded',
      );
      expect(row).toMatchObject({ status: 'failed', user_id: userId });
      expect(row!.last_error).toBe("This sender's plan does not include sending mail.");
      expect(await processedCount(envelope.id)).toBe(1);
      expect(
        platform.received.filter((mail) => mail.raw.toString().includes('Bot without a plan')),
      ).toHaveLength(0);
    } finally {
      h.usage.withoutSubscription.delete(userId);
    }
  });

  it("identity's mail is the platform's: reserved of nobody, sent even when users' mail is used up", async () =>
    whileRefused(async () => {
      const before = h.usage.calls.length;
      const envelope = identityEvents.mailRequested.envelope.parse({
        id: uuidv7(),
        subject: identityEvents.mailRequested.subject,
        version: identityEvents.mailRequested.version,
        occurredAt: new Date().toISOString(),
        actor: null,
        data: {
          template: 'identity.password_reset',
          to: 'someone@example.org',
          userId: uuidv7(),
          variables: { token: 't', resetUrl: 'https://conduit.test/r?token=t', minutes: '30' },
        },
      });
      await publish(envelope);
      await eventually(
        async () => (await byKey(`identity:${envelope.id}`))[0]?.status === 'sent',
        30_000,
        'the reset mail',
      );
      expect(h.usage.calls.length).toBe(before);
    }));
});

describe('identity away', () => {
  it('answers 503 with Retry-After and sends nothing unchecked', async () => {
    await h.usage.stop();
    try {
      const res = await post('/v1/mail/send', { accountId, to: [bob.user], subject: 'Unchecked', text: 'n' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json()).toMatchObject({ code: 'unavailable' });
      expect(await outboundCount('Unchecked')).toBe(0);
    } finally {
      h.usage = serveUsageStandIn(h.bus);
    }
  });
});
