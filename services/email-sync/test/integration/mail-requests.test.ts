import {
  conversationEvents,
  type EventDefinition,
  type EventEnvelope,
  identityEvents,
  workflowEvents,
} from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { startSmtpServer, type TestSmtpServer } from '@conduit/testing';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveBotOwners } from '../fixtures/bot-owners.js';
import { connectAccount, eventually, type MailHarness, startMailHarness } from '../fixtures/mail-harness.js';

// Mail other services ask for, as the email service receives it, published on the bus as their
// producers' relays publish them and sent through real test SMTP servers: bots' SEND MAIL
// (conversation.mail.requested from a chat, workflow.mail.requested from an automation) through the
// platform's MAIL_URL for a bot without an account, the account's own server otherwise; identity's
// mails (identity.mail.requested) from the system templates. Each is sent once, redelivered or not.
let h: MailHarness;
let platform: TestSmtpServer;
const ana = { user: 'ana@example.test', password: 'ana-secret-bots' };

beforeAll(async () => {
  platform = await startSmtpServer();
  h = await startMailHarness({
    users: [ana],
    env: {
      SYNC_EVERY: '1h',
      MAIL_URL: `smtp://127.0.0.1:${platform.port}`,
      MAIL_FROM: 'Conduit Bots <bots@conduit.test>',
    },
  });
});
afterAll(async () => {
  await h?.close();
  await platform?.stop();
});

/** An envelope of `event` made and checked by its contract, as the producer's outbox records it. */
function envelopeOf<E extends EventDefinition>(
  event: E,
  data: EventEnvelope['data'],
  actor: EventEnvelope['actor'],
): EventEnvelope {
  return event.envelope.parse({
    id: uuidv7(),
    subject: event.subject,
    version: event.version,
    occurredAt: new Date().toISOString(),
    actor,
    data,
  });
}

/**
 * Publishes the envelope as a relay would; `msgID` is JetStream's de-duplication key, so a second
 * publish with another one is a redelivery the consumer itself must recognise (by the event id).
 */
async function publish(envelope: EventEnvelope, msgID = envelope.id) {
  await h.bus.ensureStream(envelope.subject.split('.')[0]!);
  await h.bus.js.publish(h.bus.subject(envelope.subject), JSON.stringify(envelope), { msgID });
}

const outboundOf = (idempotencyKey: string) =>
  h.admin<
    {
      id: string;
      status: string;
      user_id: string;
      team_id: string | null;
      account_id: string | null;
      source: string;
      message_id: string;
    }[]
  >`select id, status, user_id, team_id, account_id, source, message_id from email.email_outbound
    where idempotency_key = ${idempotencyKey}`;

const processed = (consumer: string, eventId: string) =>
  h.admin<{ n: number }[]>`select count(*)::int as n from email.processed_events
    where consumer = ${consumer} and event_id = ${eventId}`.then((rows) => rows[0]!.n);

const withMessageId = (server: TestSmtpServer, messageId: string) =>
  server.received.filter((mail) => `<${mail.messageId}>` === messageId);

/** Publishes the event twice (the second a redelivery) and waits until its one mail has been sent. */
async function deliverTwice(envelope: EventEnvelope, key: string, consumer: string) {
  await publish(envelope);
  const [sent] = await eventually(
    async () => {
      const rows = await outboundOf(key);
      return rows[0]?.status === 'sent' && rows;
    },
    30_000,
    'the requested mail sent',
  );
  await publish(envelope, `${envelope.id}-redelivered`);
  await eventually(async () => (await processed(consumer, envelope.id)) === 1, 10_000, 'the event recorded');
  // The redelivery reaches the consumer after the first delivery; give its (refused) effect time.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  return sent!;
}

describe("an automation's SEND MAIL (workflow.mail.requested)", () => {
  it('a bot without an account sends through MAIL_URL as the automation owner, once despite a redelivery', async () => {
    const userId = uuidv7();
    const teamId = uuidv7();
    const orgId = uuidv7();
    const envelope = envelopeOf(
      workflowEvents.mailRequested,
      {
        automationId: uuidv7(),
        runId: uuidv7(),
        botId: uuidv7(),
        userId,
        teamId,
        to: ['customer@example.org', 'second@example.org'],
        subject: 'Your weekly report',
        body: 'Sales are up 12% — ünïcödé intact.',
      },
      { userId, sessionId: null, orgId },
    );
    const key = `workflow:${envelope.id}`;
    const sent = await deliverTwice(envelope, key, 'email-sync-automation-mail-requested');

    expect(await outboundOf(key)).toHaveLength(1);
    expect(sent).toMatchObject({ user_id: userId, team_id: teamId, account_id: null, source: 'bot' });
    const mails = withMessageId(platform, sent.message_id);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.envelope).toEqual({
      from: 'bots@conduit.test',
      to: ['customer@example.org', 'second@example.org'],
    });
    const raw = mails[0]!.raw.toString();
    expect(raw).toContain('Subject: Your weekly report');
    expect(raw).toMatch(/From: Conduit Bots <bots@conduit\.test>/);
    const [event] = await h.admin<{ subject: string; payload: { data: Record<string, unknown> } }[]>`
      select subject, payload from email.outbox where payload->'data'->>'outboundId' = ${sent.id}`;
    expect(event).toMatchObject({ subject: 'email.message.sent' });
  });

  it('a run tried again sends each of its SEND MAILs once (by run and sequence), a later one too', async () => {
    const userId = uuidv7();
    const run = { automationId: uuidv7(), runId: uuidv7(), botId: uuidv7(), userId, teamId: null };
    const mail = (sequence: number, subject: string) =>
      envelopeOf(
        workflowEvents.mailRequested,
        { ...run, to: ['digest@example.org'], subject, body: 'Digest', sequence },
        { userId, sessionId: null, orgId: null },
      );
    // The first attempt's mail, then the same mail again from the retried attempt (a new event).
    await publish(mail(0, 'Digest 1'));
    await publish(mail(0, 'Digest 1'));
    await publish(mail(1, 'Digest 2'));
    const first = `workflow:${run.runId}:0`;
    const second = `workflow:${run.runId}:1`;
    await eventually(
      async () =>
        (await outboundOf(first))[0]?.status === 'sent' && (await outboundOf(second))[0]?.status === 'sent',
      30_000,
      'both mails sent',
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await outboundOf(first)).toHaveLength(1);
    expect(await outboundOf(second)).toHaveLength(1);
    const subjects = platform.received
      .filter((received) => received.envelope.to.includes('digest@example.org'))
      .map((received) => received.raw.toString().match(/^Subject: (.*)$/m)?.[1]);
    expect(subjects.sort()).toEqual(['Digest 1', 'Digest 2']);
  });

  it("a bot with an account of its own sends from that account's server, as the account's owner", async () => {
    const { token, userId } = await h.tokens.mint();
    const botId = uuidv7();
    const owners = serveBotOwners(h.bus);
    owners.bots.set(botId, { ownerUserId: userId, teamId: null, orgId: null });
    const account = await connectAccount(h, token, ana, { botId }).finally(() => owners.stop());
    const envelope = envelopeOf(
      workflowEvents.mailRequested,
      {
        automationId: uuidv7(),
        runId: uuidv7(),
        botId,
        userId: uuidv7(),
        teamId: null,
        to: ['client@example.org'],
        subject: 'From the bot account',
        body: 'Hello from the automation',
      },
      null,
    );
    const key = `workflow:${envelope.id}`;
    const sent = await deliverTwice(envelope, key, 'email-sync-automation-mail-requested');

    expect(sent).toMatchObject({ user_id: userId, account_id: account.id });
    const mails = withMessageId(h.smtp, sent.message_id);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.envelope).toEqual({ from: ana.user, to: ['client@example.org'] });
    expect(mails[0]!.raw.toString()).toContain('Hello from the automation');
    expect(withMessageId(platform, sent.message_id)).toHaveLength(0);
  });
});

describe("a chat bot's SEND MAIL (conversation.mail.requested)", () => {
  it('is sent through MAIL_URL as the chat user, once despite a redelivery', async () => {
    const userId = uuidv7();
    const envelope = envelopeOf(
      conversationEvents.mailRequested,
      {
        sessionId: uuidv7(),
        botId: uuidv7(),
        userId,
        to: ['visitor@example.org'],
        subject: 'Your booking',
        body: 'A table for four, tonight.',
      },
      { userId, sessionId: null, orgId: null },
    );
    const key = `conversation:${envelope.id}`;
    const sent = await deliverTwice(envelope, key, 'email-sync-mail-requested');

    expect(await outboundOf(key)).toHaveLength(1);
    expect(sent).toMatchObject({ user_id: userId, account_id: null, source: 'bot' });
    const mails = withMessageId(platform, sent.message_id);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.envelope.to).toEqual(['visitor@example.org']);
    expect(mails[0]!.raw.toString()).toContain('A table for four, tonight.');
  });
});

describe("identity's mails (identity.mail.requested)", () => {
  const resetRequest = (to: string, token: string, userId: string) =>
    envelopeOf(
      identityEvents.mailRequested,
      {
        template: 'identity.password_reset',
        to,
        userId,
        variables: { token, resetUrl: `https://conduit.test/reset-password?token=${token}`, minutes: '30' },
      },
      null,
    );

  it('renders the seeded system template with the variables and sends it through MAIL_URL once', async () => {
    const token = `tok-${uuidv7()}`;
    const recipientId = uuidv7();
    const envelope = resetRequest('user@example.org', token, recipientId);
    const key = `identity:${envelope.id}`;
    const sent = await deliverTwice(envelope, key, 'email-sync-identity-mail-requested');

    expect(await outboundOf(key)).toHaveLength(1);
    expect(sent).toMatchObject({ source: 'system', account_id: null });
    const mails = withMessageId(platform, sent.message_id);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.envelope).toEqual({ from: 'bots@conduit.test', to: ['user@example.org'] });
    const parsed = await simpleParser(mails[0]!.raw);
    expect(parsed.subject).toBe('Reset your Conduit password');
    expect(parsed.text).toContain(`Reset token: ${token}`);
    expect(parsed.text).toContain(`Or open: https://conduit.test/reset-password?token=${token}`);
    expect(parsed.text).toContain('It works once, for 30 minutes.');
    // The token is for the recipient: not in the events the service records, nor readable by the
    // user it was mailed to (the platform's own mail belongs to no user).
    const [leaked] = await h.admin<{ n: number }[]>`
      select count(*)::int as n from email.outbox where payload::text like ${`%${token}%`}`;
    expect(leaked!.n).toBe(0);
    const { token: access } = await h.tokens.mint({ userId: recipientId });
    const asRecipient = await h.app.inject({
      method: 'GET',
      url: `/v1/mail/outbound/${sent.id}`,
      headers: { authorization: `Bearer ${access}` },
    });
    expect(asRecipient.statusCode).toBe(404);
  });

  it('uses the template as the platform admin changed it; nobody else may change it', async () => {
    const [template] = await h.admin<{ id: string }[]>`
      select id from email.email_templates where key = 'identity.login_link'`;
    const url = `/v1/mail/templates/${template!.id}`;
    const { token: user } = await h.tokens.mint();
    const refused = await h.app.inject({
      method: 'PATCH',
      url,
      headers: { authorization: `Bearer ${user}` },
      payload: { subject: 'Phishing' },
    });
    expect(refused.statusCode).toBe(403);
    const { token: admin } = await h.tokens.mint({ platformAdmin: true });
    const changed = await h.app.inject({
      method: 'PATCH',
      url,
      headers: { authorization: `Bearer ${admin}` },
      payload: { subject: 'Sign in to Acme', text: 'Hi! Open {{loginUrl}} within {{minutes}} minutes.' },
    });
    expect(changed.statusCode, changed.body).toBe(200);

    const token = `tok-${uuidv7()}`;
    const envelope = envelopeOf(
      identityEvents.mailRequested,
      {
        template: 'identity.login_link',
        to: 'someone@example.org',
        userId: uuidv7(),
        variables: { token, loginUrl: `https://acme.test/login?token=${token}`, minutes: '15' },
      },
      null,
    );
    const key = `identity:${envelope.id}`;
    await publish(envelope);
    const [sent] = await eventually(
      async () => {
        const rows = await outboundOf(key);
        return rows[0]?.status === 'sent' && rows;
      },
      30_000,
      'the sign-in mail sent',
    );
    const parsed = await simpleParser(withMessageId(platform, sent!.message_id)[0]!.raw);
    expect(parsed.subject).toBe('Sign in to Acme');
    expect(parsed.text?.trim()).toBe(`Hi! Open https://acme.test/login?token=${token} within 15 minutes.`);
  });
});
