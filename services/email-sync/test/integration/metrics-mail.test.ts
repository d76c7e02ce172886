import { analyticsEvents } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { startSmtpServer, type TestSmtpServer } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type MailHarness, startMailHarness } from '../fixtures/mail-harness.js';

// Analytics' report and alert mails (analytics.metrics.mail_requested), published on the bus as its
// outbox relay publishes them, sent through a real test SMTP server as MAIL_URL: once per delivery,
// whether the event is redelivered or the same delivery is asked for again by a retried run.
let h: MailHarness;
let platform: TestSmtpServer;

beforeAll(async () => {
  platform = await startSmtpServer();
  h = await startMailHarness({
    users: [],
    env: {
      SYNC_EVERY: '1h',
      MAIL_URL: `smtp://127.0.0.1:${platform.port}`,
      MAIL_FROM: 'Conduit Reports <reports@conduit.test>',
    },
  });
});
afterAll(async () => {
  await h?.close();
  await platform?.stop();
});

/** A 1x1 PNG, as the chart of a report or alert travels. */
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function envelopeFor(deliveryId: string, userId: string, teamId: string, orgId: string) {
  return analyticsEvents.metricsMailRequested.envelope.parse({
    id: uuidv7(),
    subject: analyticsEvents.metricsMailRequested.subject,
    version: analyticsEvents.metricsMailRequested.version,
    occurredAt: new Date().toISOString(),
    actor: { userId, sessionId: null, orgId },
    data: {
      kind: 'report',
      sourceId: uuidv7(),
      teamId,
      deliveryId,
      userId,
      to: ['ops@example.org'],
      subject: 'Report: Weekly orders',
      html: '<table><caption>Weekly orders</caption><tr><td>42</td></tr></table>',
      text: 'Orders\r\n42\r\n',
      attachments: [{ filename: 'chart.png', contentType: 'image/png', contentBase64: PNG }],
    },
  });
}

describe('metrics mail (analytics.metrics.mail_requested)', () => {
  it("is sent through MAIL_URL as the report's creator, once per delivery", async () => {
    const userId = uuidv7();
    const teamId = uuidv7();
    const deliveryId = uuidv7();
    const first = envelopeFor(deliveryId, userId, teamId, uuidv7());
    // A retried run asks again for the same delivery under a new event id.
    const again = envelopeFor(deliveryId, userId, teamId, uuidv7());
    await h.bus.ensureStream('analytics');
    for (const envelope of [first, first, again])
      await h.bus.js.publish(h.bus.subject(envelope.subject), JSON.stringify(envelope), {
        msgID: `${envelope.id}-${Math.random()}`,
      });
    const key = `analytics:${deliveryId}`;
    const [sent] = await eventually(
      async () => {
        const rows = await h.admin<
          { status: string; user_id: string; team_id: string; message_id: string; source: string }[]
        >`
          select status, user_id, team_id, message_id, source from email.email_outbound where idempotency_key = ${key}`;
        return rows[0]?.status === 'sent' && rows;
      },
      30_000,
      'the report mail sent',
    );
    await eventually(
      async () => {
        const [row] = await h.admin<{ n: number }[]>`select count(*)::int as n from email.processed_events
          where consumer = 'email-sync-metrics-mail-requested' and event_id = any(${[first.id, again.id]})`;
        return row!.n === 2;
      },
      10_000,
      'both events recorded',
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const rows = await h.admin`select id from email.email_outbound where idempotency_key = ${key}`;
    expect(rows).toHaveLength(1);
    expect(sent).toMatchObject({ user_id: userId, team_id: teamId, source: 'analytics' });
    const sentEvents = await h.admin<{ source: string }[]>`select payload -> 'data' ->> 'source' as source
      from email.outbox where subject like '%email.message.sent' and payload -> 'data' ->> 'internetMessageId' = ${sent!.message_id}`;
    expect(sentEvents.map((e) => e.source)).toEqual(['analytics']);
    const mails = platform.received.filter((mail) => `<${mail.messageId}>` === sent!.message_id);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.envelope).toEqual({ from: 'reports@conduit.test', to: ['ops@example.org'] });
    const raw = mails[0]!.raw.toString();
    expect(raw).toContain('Subject: Report: Weekly orders');
    expect(raw).toContain('<caption>Weekly orders</caption>');
    expect(raw).toMatch(/Content-Type: image\/png; name=chart\.png/);
    expect(raw.replace(/\r\n/g, '')).toContain(PNG);
  });
});
