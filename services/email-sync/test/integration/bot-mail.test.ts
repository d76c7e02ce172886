import {
  conversationEvents,
  type EventDefinition,
  type EventEnvelope,
  workflowEvents,
} from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { startSmtpServer, type TestSmtpServer } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAccount, eventually, type MailHarness, startMailHarness } from '../fixtures/mail-harness.js';

// Bots' SEND MAIL as the email service receives it: conversation.mail.requested (a chat) and
// workflow.mail.requested (an automation), published on the bus as their producers' relays publish
// them, sent through the real test SMTP servers: the platform's (MAIL_URL) for a bot without an
// account of its own, the account's own server otherwise. Each is sent once, redelivered or not.
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

  it("a bot with an account of its own sends from that account's server, as the account's owner", async () => {
    const { token, userId } = await h.tokens.mint();
    const botId = uuidv7();
    const account = await connectAccount(h, token, ana, { botId });
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
