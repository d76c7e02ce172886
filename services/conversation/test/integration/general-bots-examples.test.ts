import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startWorkerProcess } from '@conduit/runtime';
import { createLogger } from '@conduit/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationService } from '../../src/service.js';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';
import { startOpenAiServer } from '../fixtures/openai-server.js';

// The General Bots style examples of examples/basic/ run unchanged as bots' dialogs, each checked
// by what it leaves: the conversation, the suggestions, the table rows, the user's facts and what
// reached the LLM.

const examples = new URL('../../../../examples/basic/', import.meta.url);
const example = (name: string) => readFile(fileURLToPath(new URL(name, examples)), 'utf8');

let h: ConversationHarness;
/** The worker process: it runs the ON scripts of order-kitchen.bas. */
let worker: { close(): Promise<void> } | undefined;
let llm: Awaited<ReturnType<typeof startOpenAiServer>>;
let user: Awaited<ReturnType<ConversationHarness['tokens']['mint']>>;

beforeAll(async () => {
  llm = await startOpenAiServer();
  h = await startConversationHarness();
  if (conversationService.worker)
    worker = await startWorkerProcess(conversationService, {
      env: h.env,
      log: createLogger({
        service: 'conversation-worker-test',
        level: process.env.TEST_LOG_LEVEL ?? 'silent',
      }),
    });
  user = await h.tokens.mint({
    orgId: crypto.randomUUID(),
    perms: ['org.manage', 'bots.read', 'bots.write'],
  });
  const provider = await call('POST', '/v1/providers', {
    name: 'Local',
    baseUrl: llm.url,
    apiKey: 'sk-local-2',
  });
  await call('POST', '/v1/models', { providerId: provider.id, name: 'echo' });
});
afterAll(async () => {
  await worker?.close();
  await h?.close();
  await llm?.close();
});

async function call(method: string, url: string, payload?: object | string, contentType?: string) {
  const res = await h.app.inject({
    method: method as 'GET',
    url,
    headers: { ...user.headers, ...(contentType ? { 'content-type': contentType } : {}) },
    ...(payload !== undefined ? { payload } : {}),
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${url} -> ${res.statusCode} ${res.body}`);
  return res.statusCode === 204 ? null : res.json();
}

async function exampleBot(file: string, config: Record<string, string> = {}) {
  const bot = await call('POST', '/v1/bots', { name: file, script: await example(file) });
  const items = Object.entries(config).map(([key, value]) => ({ key, value }));
  if (items.length) await call('PUT', `/v1/bots/${bot.id}/config`, { items });
  return bot.id as string;
}

type Reply = {
  session: { id: string; suggestions: { key: string }[] };
  messages: { sender: string; content: string }[];
};
const texts = (reply: Reply) => reply.messages.filter((m) => m.sender !== 'user').map((m) => m.content);
const say = (reply: Reply, text: string) =>
  call('POST', `/v1/sessions/${reply.session.id}/messages`, { text }) as Promise<Reply>;

describe('examples/basic in General Bots style', () => {
  it('lead-to-table.bas: asks, segments and SAVEs the lead, keeps facts, offers suggestions', async () => {
    const botId = await exampleBot('lead-to-table.bas');
    const started = (await call('POST', `/v1/bots/${botId}/sessions`, {})) as Reply;
    expect(texts(started)).toEqual([
      '**Welcome!** I can put you in touch with our sales team.\nThree quick questions first.',
      'What is your name?',
    ]);
    await say(started, 'Ana');
    await say(started, 'ana@acme.io');
    const last = await say(started, '120');
    expect(texts(last)).toEqual(['Thanks, Ana! Our mid-market team will write to ana@acme.io within a day.']);
    expect(last.session.suggestions.map((s) => s.key)).toEqual(['pricing', 'demo']);
    const rows = await call('GET', `/v1/bots/${botId}/tables/leads/rows`);
    expect(rows.items).toHaveLength(1);
    expect(rows.items[0]).toMatchObject({
      key: 'ana@acme.io',
      data: { email: 'ana@acme.io', name: 'Ana', size: 120, segment: 'mid-market' },
    });
    expect(rows.items[0].data.received).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const kept = await h.admin`select kind, key, value from conversation.bot_user_memories
      where bot_id = ${botId} order by kind, key`;
    expect(kept.map((r) => [r.kind, r.key, r.value])).toEqual([
      ['fact', 'segment', 'mid-market'],
      ['remember', 'lead-email', 'ana@acme.io'],
    ]);
  });

  it('support-triage.bas: config params, suggestions, SWITCH, user facts and its system prompt at the LLM', async () => {
    const botId = await exampleBot('support-triage.bas', {
      'param-company': 'ACME',
      'param-billingEmail': 'billing@acme.io',
      'llm-model': 'echo',
    });
    const started = (await call('POST', `/v1/bots/${botId}/sessions`, {})) as Reply;
    expect(texts(started)).toEqual(['Hi, this is ACME support. What do you need help with?']);
    expect(started.session.suggestions.map((s) => s.key)).toEqual(['billing', 'shipping', 'other']);
    const asked = await say(started, 'shipping');
    expect(asked.session.suggestions).toEqual([]);
    expect(texts(asked)).toEqual(['What is your zip code?']);
    const answered = await say(started, '94107');
    expect(texts(answered)).toEqual(['Parcels to 94107 leave our warehouse every weekday.']);
    const before = llm.requests.length;
    const free = await say(started, 'Do you ship abroad?');
    expect(texts(free)).toEqual(['You said: Do you ship abroad?.']);
    const request = llm.requests[before]!;
    expect(request.body.messages[0]!.content).toContain(
      'You are the support assistant of ACME.\nAnswer in two sentences at most, politely, and never promise refunds.',
    );
    // A second visit remembers the zip code (a user fact) and asks nothing.
    const again = (await call('POST', `/v1/bots/${botId}/sessions`, {})) as Reply;
    expect(texts(await say(again, 'Shipping'))).toEqual([
      'Parcels to 94107 leave our warehouse every weekday.',
    ]);
    const billing = (await call('POST', `/v1/bots/${botId}/sessions`, {})) as Reply;
    expect(texts(await say(billing, '1'))).toEqual([
      'Invoices and payments are handled by billing@acme.io; they answer within a day.',
    ]);
  });

  it('paid-orders-report.bas: FIND, AGGREGATE, PIVOT, MAP, FILTER, FIRST, UPDATE over an imported table', async () => {
    const botId = await exampleBot('paid-orders-report.bas');
    const empty = (await call('POST', `/v1/bots/${botId}/sessions`, {})) as Reply;
    expect(texts(empty)).toEqual(['No paid orders yet.']);
    const csv = [
      'id,customer,region,month,total,status',
      '1,Ana,north,jan,1200,paid',
      '2,Rui,north,feb,300.5,paid',
      '3,Eva,south,jan,80,paid',
      '4,Zoe,south,feb,999,refunded',
      '5,Ivo,south,feb,20,paid',
    ].join('\n');
    expect(await call('POST', `/v1/bots/${botId}/tables/orders/csv?key=id`, csv, 'text/csv')).toEqual({
      table: 'orders',
      imported: 5,
    });
    const report = (await call('POST', `/v1/bots/${botId}/sessions`, {})) as Reply;
    expect(texts(report)).toEqual([
      '## Paid orders\n- **Orders:** 4 (1 of 1,000 or more)\n- **Revenue:** 1,600.50\n- **Largest:** 1,200.00 by Ana',
      'north: jan 1200, feb 301',
      'south: jan 80, feb 20',
    ]);
    const high = await call(
      'GET',
      `/v1/bots/${botId}/tables/orders/rows?filter=${encodeURIComponent('priority=high')}`,
    );
    expect(high.items.map((r: { key: string }) => r.key)).toEqual(['1']);
  });
});

describe('examples/basic: events and bots working together', () => {
  it("order-webhook.bas stores a shop's order through its public webhook; order-kitchen.bas queues it for the kitchen", async () => {
    const botId = (await call('POST', '/v1/bots', { name: 'Shop', script: null })).id as string;
    await call('PUT', `/v1/bots/${botId}/tools/order-webhook`, {
      script: await example('order-webhook.bas'),
    });
    await call('PUT', `/v1/bots/${botId}/tools/order-kitchen`, {
      script: await example('order-kitchen.bas'),
    });
    await call('PUT', `/v1/bots/${botId}/memories/shop-token`, { value: 't0k3n' });
    const order = {
      id: 'SO-1001',
      customer: { email: 'ana@example.com' },
      items: [
        { sku: 'pizza', qty: 2, price: 9.5 },
        { sku: 'soda', qty: 1, price: 2.25 },
      ],
    };
    const url = `/v1/public/bots/${botId}/webhooks/new-order`;
    const refused = await h.app.inject({
      method: 'POST',
      url,
      payload: order,
      headers: { 'x-shop-token': 'nope' },
    });
    expect(refused.json()).toEqual({ ok: false, error: 'unknown shop' });
    const stored = await h.app.inject({
      method: 'POST',
      url,
      payload: order,
      headers: { 'x-shop-token': 't0k3n' },
    });
    expect(stored.statusCode).toBe(200);
    expect(stored.json()).toEqual({ ok: true, order: 'SO-1001', total: 21.25 });
    const orders = await call('GET', `/v1/bots/${botId}/tables/orders/rows`);
    expect(orders.items.map((r: { key: string; data: object }) => [r.key, r.data])).toEqual([
      [
        'SO-1001',
        expect.objectContaining({
          id: 'SO-1001',
          customer: 'ana@example.com',
          total: 21.25,
          status: 'received',
        }),
      ],
    ]);
    let kitchen: { items: { data: object }[] } = { items: [] };
    for (let i = 0; i < 150 && kitchen.items.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      kitchen = await call('GET', `/v1/bots/${botId}/tables/kitchen/rows`).catch(() => ({ items: [] }));
    }
    expect(kitchen.items.map((r) => r.data)).toEqual([
      { ticket: 'K-SO-1001', order: 'SO-1001', total: 21.25, state: 'to prepare' },
    ]);
  });

  it('front-desk-delegation.bas asks the billing desk bot, then routes billing words to it or hands over to support', async () => {
    const desk = async (name: string, prompt: string) => {
      const bot = await call('POST', '/v1/bots', { name, script: null });
      await call('PUT', `/v1/bots/${bot.id}/config`, {
        items: [
          { key: 'llm-model', value: 'echo' },
          { key: 'system-prompt', value: prompt },
        ],
      });
      return bot.id as string;
    };
    await desk('Billing Desk', 'You handle invoices and refunds.');
    const support = await desk('Support Desk', 'You handle support.');
    const front = await exampleBot('front-desk-delegation.bas', { 'llm-model': 'echo' });

    const billing = (await call('POST', `/v1/bots/${front}/sessions`, {})) as Reply;
    expect(texts(billing)).toEqual(["Hi! I'm the front desk. What is your question?"]);
    expect(texts(await say(billing, 'Where is my invoice?'))).toEqual([
      'Our billing desk says: You said: Where is my invoice?.',
      'Ask me anything else; billing questions go straight to them.',
    ]);
    const before = llm.requests.length;
    await say(billing, 'And a refund?');
    expect(llm.requests[before]!.body.messages[0]!.content).toBe('You handle invoices and refunds.');

    const other = (await call('POST', `/v1/bots/${front}/sessions`, {})) as Reply;
    expect(texts(await say(other, 'My app crashes'))).toEqual(['Let me pass you to our support team.']);
    const next = (await say(other, 'Still crashing')) as Reply & { session: { botId: string } };
    expect(next.session.botId).toBe(support);
  });
});
