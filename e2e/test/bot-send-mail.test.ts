import {
  type ConversationHarness,
  startConversationHarness,
} from '@conduit/conversation/test/fixtures/conversation-harness.js';
import {
  eventually,
  type MailHarness,
  startMailHarness,
} from '@conduit/email-sync/test/fixtures/mail-harness.js';
import { startSmtpServer, type TestSmtpServer } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceProcess, startServiceProcess } from '../src/service-process.js';

// A bot's SEND MAIL end to end: conversation runs the dialog and records conversation.mail.requested
// in its outbox, its relay publishes it, email-sync's worker (its own process, as `pnpm start` runs
// it) consumes it and sends it through the platform's MAIL_URL, a real SMTP server run here.

let platform: TestSmtpServer;
let mail: MailHarness;
let worker: ServiceProcess;
let conversation: ConversationHarness;

beforeAll(async () => {
  platform = await startSmtpServer();
  mail = await startMailHarness({
    worker: false,
    env: {
      SYNC_EVERY: '1h',
      MAIL_URL: `smtp://127.0.0.1:${platform.port}`,
      MAIL_FROM: 'Conduit Bots <bots@conduit.test>',
    },
  });
  // Its log says when it runs (the harness keeps its own processes silent).
  worker = startServiceProcess('@conduit/email-sync', 'worker', { ...mail.childEnv, LOG_LEVEL: 'info' });
  await worker.waitForOutput('email-sync worker running', 90_000);
  conversation = await startConversationHarness({ namespace: mail.childEnv.BUS_NAMESPACE! });
}, 180_000);
afterAll(async () => {
  await conversation?.close();
  worker?.kill();
  await worker?.exited;
  await mail?.close();
  await platform?.stop();
});

const QUOTE_MAIL = `
TALK "What is your email?"
HEAR email AS EMAIL
seats = 12
SEND MAIL email, "Your quote for " & seats & " seats", "Hello, " & seats & " seats cost " & seats * 12 & " a month."
TALK "Sent to \${email}."
`;

describe("a bot's SEND MAIL", () => {
  it('arrives once at the SMTP server of MAIL_URL, with the recipient, subject and body the dialog gave', async () => {
    const user = await conversation.tokens.mint();
    const bot = await conversation.app.inject({
      method: 'POST',
      url: '/v1/bots',
      headers: user.headers,
      payload: { name: 'Quote bot', script: QUOTE_MAIL },
    });
    expect(bot.statusCode, bot.body).toBe(201);
    const started = await conversation.app.inject({
      method: 'POST',
      url: `/v1/bots/${bot.json().id}/sessions`,
      headers: user.headers,
      payload: {},
    });
    expect(started.statusCode, started.body).toBe(201);
    const answered = await conversation.app.inject({
      method: 'POST',
      url: `/v1/sessions/${started.json().session.id}/messages`,
      headers: user.headers,
      payload: { text: 'Lead@Example.org' },
    });
    expect(answered.statusCode, answered.body).toBe(201);
    const said = answered
      .json()
      .messages.filter((m: { sender: string }) => m.sender === 'bot')
      .map((m: { content: string }) => m.content);
    expect(said.at(-1)).toMatch(/^Sent to lead@example\.org\.$/i);

    const [arrived] = await eventually(
      async () => platform.received.length > 0 && platform.received,
      60_000,
      'the mail at the SMTP server',
    );
    expect(arrived!.envelope).toEqual({ from: 'bots@conduit.test', to: ['lead@example.org'] });
    const raw = arrived!.raw.toString();
    expect(raw).toContain('Subject: Your quote for 12 seats');
    expect(raw).toContain('Hello, 12 seats cost 144 a month.');
    expect(raw).toMatch(/^From: Conduit Bots <bots@conduit\.test>/m);

    // Sent once: the outbound row is settled, and nothing else arrives after it.
    const [row] = await eventually(
      async () => {
        const rows = await mail.admin<{ status: string; user_id: string; source: string }[]>`
          select status, user_id, source from email.email_outbound`;
        return rows[0]?.status === 'sent' && rows;
      },
      20_000,
      'the outbound message settled',
    );
    expect(row).toMatchObject({ user_id: user.userId, source: 'bot' });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(platform.received).toHaveLength(1);
    const [outbound] = await mail.admin<{ n: number }[]>`select count(*)::int as n from email.email_outbound`;
    expect(outbound!.n).toBe(1);
  });

  it("from a bot's WEBHOOK script too, as the bot's owner, with no session", async () => {
    const owner = await conversation.tokens.mint();
    const bot = await conversation.app.inject({
      method: 'POST',
      url: '/v1/bots',
      headers: owner.headers,
      payload: { name: 'Order desk', script: null },
    });
    expect(bot.statusCode, bot.body).toBe(201);
    const botId = bot.json().id as string;
    const hook = await conversation.app.inject({
      method: 'PUT',
      url: `/v1/bots/${botId}/tools/confirm`,
      headers: owner.headers,
      payload: {
        script:
          'WEBHOOK "order"\nSEND MAIL body.email, "Order " & body.id & " received", "Thank you for order " & body.id & "."\nRETURN {"ok": TRUE}',
      },
    });
    expect(hook.statusCode, hook.body).toBe(201);
    const before = platform.received.length;
    const called = await conversation.app.inject({
      method: 'POST',
      url: `/v1/public/bots/${botId}/webhooks/order`,
      payload: { id: 'O-7', email: 'buyer@example.org' },
    });
    expect(called.statusCode, called.body).toBe(200);

    const arrived = await eventually(
      async () => platform.received.length > before && platform.received.slice(before),
      60_000,
      "the webhook's mail at the SMTP server",
    );
    expect(arrived).toHaveLength(1);
    expect(arrived[0]!.envelope).toEqual({ from: 'bots@conduit.test', to: ['buyer@example.org'] });
    const raw = arrived[0]!.raw.toString();
    expect(raw).toContain('Subject: Order O-7 received');
    expect(raw).toContain('Thank you for order O-7.');
    const rows = await mail.admin<{ user_id: string }[]>`
      select user_id from email.email_outbound where user_id = ${owner.userId}`;
    expect(rows).toHaveLength(1);
    // The script's run is recorded for the bot's owner.
    const runs = await conversation.app.inject({
      method: 'GET',
      url: `/v1/bots/${botId}/tools/confirm/runs`,
      headers: owner.headers,
    });
    expect(runs.json().items).toEqual([expect.objectContaining({ kind: 'webhook', status: 'succeeded' })]);
  });
});
