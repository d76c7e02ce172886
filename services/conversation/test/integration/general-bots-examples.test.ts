import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';
import { startOpenAiServer } from '../fixtures/openai-server.js';

// The General Bots style examples of examples/basic/ run unchanged as bots' dialogs, each checked
// by what it leaves: the conversation, the suggestions, the table rows, the user's facts and what
// reached the LLM.

const examples = new URL('../../../../examples/basic/', import.meta.url);
const example = (name: string) => readFile(fileURLToPath(new URL(name, examples)), 'utf8');

let h: ConversationHarness;
let llm: Awaited<ReturnType<typeof startOpenAiServer>>;
let user: Awaited<ReturnType<ConversationHarness['tokens']['mint']>>;

beforeAll(async () => {
  llm = await startOpenAiServer();
  h = await startConversationHarness();
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
