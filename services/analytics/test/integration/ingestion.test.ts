import { randomUUID } from 'node:crypto';
import { uuidv7 } from '@conduit/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalyticsHarness, startAnalyticsHarness } from '../fixtures/analytics-harness.js';
import { recount } from '../fixtures/recount.js';

// Events published on the producing services' streams, as their outbox relays publish them, are
// recorded by the worker's stream consumers; one stream (billing) exists only by configuration.
let h: AnalyticsHarness;
const orgId = randomUUID();
const userId = randomUUID();
const botId = randomUUID();
const sessionId = randomUUID();
const actor = { userId, sessionId: randomUUID(), orgId };

beforeAll(async () => {
  h = await startAnalyticsHarness({
    env: { ANALYTICS_STREAMS: 'identity,conversation,knowledge,workflow,email,billing' },
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const rowsOf = (ids: string[]) =>
  h.admin`select * from analytics.user_analytics where id = any(${ids}::uuid[]) order by occurred_at`;

describe('recording the bus', () => {
  it('records each event with who and what it concerns, and what it counts for, without free text', async () => {
    const ids = {
      login: uuidv7(),
      userMessage: uuidv7(),
      botReply: uuidv7(),
      mail: uuidv7(),
      indexed: uuidv7(),
      registered: uuidv7(),
    };
    await h.publish({
      id: ids.login,
      subject: 'identity.user.logged_in',
      actor,
      data: { userId, sessionId: actor.sessionId, method: 'password' },
    });
    await h.publish({
      id: ids.registered,
      subject: 'identity.user.registered',
      actor: null,
      data: { userId, organizationId: orgId, email: 'ada@example.com', username: 'ada', name: 'Ada' },
    });
    const message = { sessionId, botId, userId, tokensIn: 0, tokensOut: 0, model: null, latencyMs: null };
    await h.publish({
      id: ids.userMessage,
      subject: 'conversation.message.created',
      actor,
      data: { ...message, messageId: randomUUID(), sender: 'user', text: 'my secret plans' },
    });
    await h.publish({
      id: ids.botReply,
      subject: 'conversation.message.created',
      actor,
      data: {
        ...message,
        messageId: randomUUID(),
        sender: 'bot',
        tokensIn: 1500,
        tokensOut: 700,
        model: 'm-1',
      },
    });
    await h.publish({
      id: ids.mail,
      subject: 'conversation.mail.requested',
      actor,
      data: { sessionId, botId, userId, to: ['x@example.com'], subject: 'Hi', body: 'confidential' },
    });
    const collectionId = randomUUID();
    await h.publish({
      id: ids.indexed,
      subject: 'knowledge.document.indexed',
      actor,
      data: { documentId: randomUUID(), collectionId, contentHash: 'abc', chunkCount: 12, revision: 1 },
    });
    await h.waitForEvents(6);

    const rows = await rowsOf(Object.values(ids));
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(byId.get(ids.login)).toMatchObject({
      event_type: 'identity.user.logged_in',
      source: 'identity',
      user_id: userId,
      organization_id: orgId,
      metrics: { sign_ins: 1 },
      event_data: { userId, sessionId: actor.sessionId, method: 'password' },
    });
    // No actor: who and which organization come from the data; address and names are not kept.
    expect(byId.get(ids.registered)).toMatchObject({
      user_id: userId,
      organization_id: orgId,
      metrics: { sign_ups: 1 },
    });
    expect(byId.get(ids.registered)!.event_data).toEqual({ userId, organizationId: orgId });
    expect(byId.get(ids.userMessage)).toMatchObject({
      bot_id: botId,
      session_id: sessionId,
      metrics: { messages: 1 },
    });
    expect(byId.get(ids.userMessage)!.event_data).not.toHaveProperty('text');
    expect(byId.get(ids.botReply)!.metrics).toEqual({
      messages: 1,
      bot_replies: 1,
      tokens_in: 1500,
      tokens_out: 700,
      ai_credits: 3,
    });
    expect(byId.get(ids.botReply)!.event_data).toMatchObject({ sender: 'bot', model: 'm-1', tokensIn: 1500 });
    // Recorded, counting for nothing, and without the mail's addresses, subject or body.
    expect(byId.get(ids.mail)!.metrics).toEqual({});
    expect(byId.get(ids.mail)!.event_data).toEqual({ sessionId, botId, userId });
    expect(byId.get(ids.indexed)).toMatchObject({
      collection_id: collectionId,
      metrics: { documents_indexed: 1 },
    });

    const counters = await h.admin`
      select dimension, value from analytics.rollups
      where metric = 'messages' and user_id = ${userId} order by dimension`;
    expect(counters.map((row) => [row.dimension, Number(row.value)])).toEqual([
      ['', 2],
      ['bot', 2],
    ]);
    expect((await recount(h.admin)).mismatches).toEqual([]);
  });

  it('counts an event delivered twice once (the same id published again)', async () => {
    const id = uuidv7();
    const event = {
      id,
      subject: 'conversation.click.recorded',
      actor,
      data: { clickId: randomUUID(), sessionId, botId, elementId: 'buy-button' },
    };
    const before = Number((await h.admin`select count(*)::int as n from analytics.user_analytics`)[0]!.n);
    await h.publish(event);
    await h.publish(event);
    await h.publish({ ...event, id: uuidv7() });
    await h.waitForEvents(before + 2);
    // Both copies have been delivered and acked once nothing is pending on the stream.
    await h.waitForNoLag();
    expect(await rowsOf([id])).toHaveLength(1);
    const clicks = await h.admin`
      select value from analytics.rollups where metric = 'clicks' and user_id = ${userId} and dimension = ''`;
    expect(clicks.map((row) => Number(row.value))).toEqual([2]);
    expect((await rowsOf([id]))[0]!.event_data).toMatchObject({ elementId: 'buy-button' });
    expect((await recount(h.admin)).mismatches).toEqual([]);
  });

  it('records a stream added by configuration only, and says how far behind each consumer is', async () => {
    const id = uuidv7();
    await h.publish({
      id,
      subject: 'billing.invoice.paid',
      actor,
      data: { invoiceId: randomUUID(), cents: 1200, note: 'x' },
    });
    await expect.poll(async () => (await rowsOf([id])).length, { timeout: 10_000 }).toBe(1);
    const [row] = await rowsOf([id]);
    expect(row).toMatchObject({ source: 'billing', metrics: {}, event_data: { cents: 1200 } });
    expect(row!.event_data).not.toHaveProperty('note');

    const ready = (await h.app.inject({ method: 'GET', url: '/health/ready' })).json();
    expect(Object.keys(ready.details.consumerLag).sort()).toEqual([
      'billing',
      'conversation',
      'email',
      'identity',
      'knowledge',
      'workflow',
    ]);
  });

  it('terminates what is not an event, and goes on with the rest', async () => {
    await h.bus.js.publish(h.bus.subject('identity.junk.sent'), 'not json');
    await h.bus.js.publish(h.bus.subject('identity.junk.sent'), JSON.stringify({ id: 'nope' }));
    const id = uuidv7();
    await h.publish({
      id,
      subject: 'identity.user.logged_in',
      actor,
      data: { userId, sessionId: actor.sessionId, method: 'login_token' },
    });
    await expect.poll(async () => (await rowsOf([id])).length, { timeout: 10_000 }).toBe(1);
  });
});
