import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';
import { startOpenAiServer } from '../fixtures/openai-server.js';

// The OpenAI-compatible path against a real local server speaking the protocol: streaming,
// tool calls, provider failures and timeouts, and SSE to our own client (disconnect included).

let h: ConversationHarness;
let llm: Awaited<ReturnType<typeof startOpenAiServer>>;
let serviceUrl: string;
const orgId = crypto.randomUUID();
let admin: Awaited<ReturnType<ConversationHarness['tokens']['mint']>>;
let providerId: string;
const API_KEY = 'sk-test-4f1b9c0d2e';

const TOOL = `
DESCRIPTION "Books a table"
PARAM guests AS INTEGER LIKE 4
PARAM area AS "Indoor", "Terrace"
RETURN {"ok": TRUE, "reference": "R-" & guests & "-" & LEFT(area, 1)}
`;

beforeAll(async () => {
  llm = await startOpenAiServer();
  h = await startConversationHarness({ env: { LLM_TIMEOUT: '800ms' } });
  serviceUrl = await h.app.listen({ port: 0, host: '127.0.0.1' });
  admin = await h.tokens.mint({ orgId, perms: ['org.manage', 'bots.read', 'bots.write'] });
  const provider = await h.app.inject({
    method: 'POST',
    url: '/v1/providers',
    headers: admin.headers,
    payload: { name: 'Local', baseUrl: llm.url, apiKey: API_KEY },
  });
  expect(provider.statusCode, provider.body).toBe(201);
  providerId = provider.json().id;
  for (const name of ['echo', 'tools', 'fail-503', 'slow-start', 'stall', 'slow-stream']) {
    const model = await h.app.inject({
      method: 'POST',
      url: '/v1/models',
      headers: admin.headers,
      payload: { providerId, name },
    });
    expect(model.statusCode, model.body).toBe(201);
  }
});
afterAll(async () => {
  await h?.close();
  await llm?.close();
});

async function sessionWith(model: string, tools = false) {
  const bot = await h.app.inject({
    method: 'POST',
    url: '/v1/bots',
    headers: admin.headers,
    payload: { name: `Bot ${model}` },
  });
  const botId = bot.json().id;
  await h.app.inject({
    method: 'PUT',
    url: `/v1/bots/${botId}/config`,
    headers: admin.headers,
    payload: { items: [{ key: 'llm-model', value: model }] },
  });
  if (tools) {
    const put = await h.app.inject({
      method: 'PUT',
      url: `/v1/bots/${botId}/tools/book-table`,
      headers: admin.headers,
      payload: { script: TOOL },
    });
    expect(put.statusCode, put.body).toBe(201);
    await h.app.inject({
      method: 'PATCH',
      url: `/v1/bots/${botId}`,
      headers: admin.headers,
      payload: { script: 'USE TOOL "book-table"' },
    });
  }
  const session = await h.app.inject({
    method: 'POST',
    url: `/v1/bots/${botId}/sessions`,
    headers: admin.headers,
    payload: {},
  });
  expect(session.statusCode, session.body).toBe(201);
  return session.json().session.id as string;
}

/** Reads a Server-Sent Events answer into its events. */
async function readEvents(response: Response) {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event:'))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine!.slice(7), data: JSON.parse(dataLine!.slice(6)) };
    });
}

describe('OpenAI-compatible provider', () => {
  it('keeps the API key sealed: never returned, not stored in clear', async () => {
    const listed = await h.app.inject({ method: 'GET', url: '/v1/providers', headers: admin.headers });
    expect(listed.body).not.toContain(API_KEY);
    expect(listed.json().items[0]).toMatchObject({ hasApiKey: true });
    const [row] =
      await h.admin`select api_key_sealed, key_version from conversation.providers where id = ${providerId}`;
    expect(row!.api_key_sealed).not.toContain(API_KEY);
    expect(row!.key_version).toBe(1);
    const [outbox] =
      await h.admin`select count(*)::int as n from conversation.outbox where payload::text like ${`%${API_KEY}%`}`;
    expect(outbox!.n).toBe(0);
  });

  it('streams the answer and records model, tokens and latency', async () => {
    const sessionId = await sessionWith('echo');
    const res = await fetch(`${serviceUrl}/v1/sessions/${sessionId}/messages`, {
      method: 'POST',
      headers: { ...admin.headers, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ text: 'hello there' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = await readEvents(res);
    const deltas = events.filter((e) => e.event === 'delta').map((e) => e.data.text);
    expect(deltas.join('')).toBe('You said: hello there.');
    const done = events.find((e) => e.event === 'done')!.data;
    expect(done.usage).toEqual({ tokensIn: 12, tokensOut: 5 });
    const reply = done.messages.find((m: { sender: string }) => m.sender === 'bot');
    expect(reply).toMatchObject({
      content: 'You said: hello there.',
      model: 'echo',
      tokensIn: 12,
      tokensOut: 5,
    });
    expect(llm.requests.at(-1)!.authorization).toBe(`Bearer ${API_KEY}`);
    expect(llm.requests.at(-1)!.body.stream).toBe(true);
  });

  it('runs the tool the model calls and answers with its result', async () => {
    const sessionId = await sessionWith('tools', true);
    const res = await fetch(`${serviceUrl}/v1/sessions/${sessionId}/messages`, {
      method: 'POST',
      headers: { ...admin.headers, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ text: 'Book a table for two inside' }),
    });
    const events = await readEvents(res);
    expect(events.filter((e) => e.event === 'tool').map((e) => e.data.status)).toEqual([
      'started',
      'finished',
    ]);
    const done = events.find((e) => e.event === 'done')!.data;
    const senders = done.messages.map((m: { sender: string }) => m.sender);
    expect(senders).toEqual(['user', 'tool', 'bot']);
    expect(done.messages[2].content).toBe('Booked! Your reference is R-2-I.');
    expect(done.usage).toEqual({ tokensIn: 50, tokensOut: 17 });
    const offered = llm.requests.find((r) => r.body.model === 'tools')!.body.tools!;
    expect(offered[0]!.function).toMatchObject({
      name: 'book-table',
      parameters: { required: ['guests', 'area'] },
    });
  });

  it('turns a provider 5xx into a clear message and stores nothing', async () => {
    const sessionId = await sessionWith('fail-503');
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/sessions/${sessionId}/messages`,
      headers: admin.headers,
      payload: { text: 'hi' },
    });
    expect(res.statusCode).toBe(502);
    expect(res.json().detail).toBe('The AI provider failed (HTTP 503); please try again later.');
    expect(res.body).not.toContain('sk-secret');
    const stream = await fetch(`${serviceUrl}/v1/sessions/${sessionId}/messages`, {
      method: 'POST',
      headers: { ...admin.headers, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ text: 'hi again' }),
    });
    const events = await readEvents(stream);
    expect(events.at(-1)).toEqual({
      event: 'error',
      data: { code: 'provider_error', message: expect.stringMatching(/HTTP 503/) },
    });
    const [row] =
      await h.admin`select count(*)::int as n from conversation.message_history where session_id = ${sessionId}`;
    expect(row!.n).toBe(0);
  });

  it('times out a provider that does not answer, or stalls mid-stream, without hanging', async () => {
    for (const model of ['slow-start', 'stall']) {
      const sessionId = await sessionWith(model);
      const started = Date.now();
      const res = await h.app.inject({
        method: 'POST',
        url: `/v1/sessions/${sessionId}/messages`,
        headers: admin.headers,
        payload: { text: 'hi' },
      });
      expect(res.statusCode, model).toBe(504);
      expect(res.json().detail).toMatch(/did not answer within 0.8 s/);
      expect(Date.now() - started).toBeLessThan(3000);
    }
  });

  it('a client that disconnects mid-stream still gets the full reply stored', async () => {
    const sessionId = await sessionWith('slow-stream');
    const controller = new AbortController();
    const res = await fetch(`${serviceUrl}/v1/sessions/${sessionId}/messages`, {
      method: 'POST',
      headers: { ...admin.headers, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ text: 'count' }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let seen = '';
    while (!seen.includes('event: delta')) seen += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const deadline = Date.now() + 5000;
    let content: string | undefined;
    while (Date.now() < deadline && !content) {
      const [row] =
        await h.admin`select content from conversation.message_history where session_id = ${sessionId} and sender = 'bot'`;
      content = row?.content as string | undefined;
      if (!content) await new Promise((r) => setTimeout(r, 100));
    }
    expect(content).toBe('one two three four five');
  });
});
