import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';

// Dialog scripts end to end on the service: HEAR suspends into the session and resumes on the
// next message (also after a restart), memories, tools, knowledge-less LLM fallback, GET guards.

let h: ConversationHarness;
let local: Server;
let localUrl: string;

const WELCOME = `
TALK "Hi! What is your work email?"
HEAR email AS EMAIL
SET USER MEMORY "email", email
visits = GET BOT MEMORY "visits"
IF ISEMPTY(visits) THEN visits = 0
SET BOT MEMORY "visits", visits + 1
USE TOOL "book-table"
TALK "Thanks, \${email}. You are visitor \${visits + 1}."
HEAR size AS INTEGER
TALK "A table for \${size}, noted."
`;

const BOOK_TABLE = `
DESCRIPTION "Books a table"
PARAM guests AS INTEGER LIKE 4 DESCRIPTION "Number of people"
PARAM area AS "Indoor", "Terrace"
IF guests > 12 THEN
  RETURN {"ok": FALSE}
END IF
TALK "Booked for \${guests}, \${LOWER(area)}."
RETURN {"ok": TRUE, "reference": "T-" & guests}
`;

beforeAll(async () => {
  local = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url, method: req.method }));
  });
  await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
  localUrl = `http://127.0.0.1:${(local.address() as AddressInfo).port}`;
  h = await startConversationHarness();
});
afterAll(async () => {
  await h?.close();
  await new Promise((resolve) => local?.close(resolve));
});

async function makeBot(headers: Record<string, string>, script: string | null, name = 'Dialog bot') {
  const res = await h.app.inject({ method: 'POST', url: '/v1/bots', headers, payload: { name, script } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string };
}

async function say(headers: Record<string, string>, sessionId: string, text: string) {
  const res = await h.app.inject({
    method: 'POST',
    url: `/v1/sessions/${sessionId}/messages`,
    headers,
    payload: { text },
  });
  return res;
}

const botTexts = (res: { json(): unknown }) =>
  (res.json() as { messages: { sender: string; content: string }[] }).messages
    .filter((m) => m.sender !== 'user')
    .map((m) => m.content);

describe('dialog scripts', () => {
  it('asks, re-asks on a bad email, remembers, survives a restart and offers its tool', async () => {
    const user = await h.tokens.mint({ orgId: crypto.randomUUID() });
    const bot = await makeBot(user.headers, WELCOME);
    const tool = await h.app.inject({
      method: 'PUT',
      url: `/v1/bots/${bot.id}/tools/book-table`,
      headers: user.headers,
      payload: { script: BOOK_TABLE },
    });
    expect(tool.statusCode, tool.body).toBe(201);
    expect(tool.json().parameters.required).toEqual(['guests', 'area']);

    const started = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${bot.id}/sessions`,
      headers: user.headers,
      payload: {},
    });
    expect(started.statusCode, started.body).toBe(201);
    const { session, messages } = started.json();
    expect(messages.map((m: { content: string }) => m.content)).toEqual(['Hi! What is your work email?']);
    expect(session.awaiting).toMatchObject({ variable: 'email', type: 'EMAIL' });

    const bad = await say(user.headers, session.id, 'not an email');
    expect(bad.statusCode, bad.body).toBe(201);
    expect(botTexts(bad)[0]).toMatch(/email/i);
    expect(bad.json().session.awaiting).toMatchObject({ variable: 'email' });

    // The dialog state lives in the session row: a new process picks it up.
    await h.restart();

    const good = await say(user.headers, session.id, 'ana@example.com');
    expect(good.statusCode, good.body).toBe(201);
    expect(botTexts(good)).toEqual(['Thanks, ana@example.com. You are visitor 1.']);

    const memory = await h.app.inject({ method: 'GET', url: '/v1/memories/email', headers: user.headers });
    expect(memory.json().value).toBe('ana@example.com');
    const visits = await h.app.inject({
      method: 'GET',
      url: `/v1/bots/${bot.id}/memories/visits`,
      headers: user.headers,
    });
    expect(visits.json().value).toBe(1);

    const invalid = await h.app.inject({
      method: 'POST',
      url: `/v1/sessions/${session.id}/tools/book-table`,
      headers: user.headers,
      payload: { args: { guests: 'four' } },
    });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['body.args.guests', 'body.args.area']),
    );

    const called = await h.app.inject({
      method: 'POST',
      url: `/v1/sessions/${session.id}/tools/book-table`,
      headers: user.headers,
      payload: { args: { guests: 4, area: 'Terrace' } },
    });
    expect(called.statusCode, called.body).toBe(200);
    expect(called.json()).toMatchObject({ ok: true, result: { ok: true, reference: 'T-4' } });
    expect(botTexts(called)).toContain('Booked for 4, terrace.');

    const size = await say(user.headers, session.id, '3');
    expect(botTexts(size)).toEqual(['A table for 3, noted.']);
    expect(size.json().session.awaiting).toBeNull();

    // The dialog is over: the LLM (offline, no knowledge base) answers plainly.
    const free = await say(user.headers, session.id, 'What are your opening hours?');
    expect(free.statusCode).toBe(201);
    expect(botTexts(free)[0]).toMatch(/don't have an answer/);

    const history = await h.app.inject({
      method: 'GET',
      url: `/v1/sessions/${session.id}/messages?limit=100`,
      headers: user.headers,
    });
    const senders = history.json().items.map((m: { sender: string }) => m.sender);
    expect(senders[0]).toBe('bot');
    expect(senders).toContain('tool');
    expect(senders.filter((s: string) => s === 'user')).toHaveLength(4);

    // Paging walks the same history in order.
    const page1 = await h.app.inject({
      method: 'GET',
      url: `/v1/sessions/${session.id}/messages?limit=3`,
      headers: user.headers,
    });
    const page2 = await h.app.inject({
      method: 'GET',
      url: `/v1/sessions/${session.id}/messages?limit=3&cursor=${page1.json().nextCursor}`,
      headers: user.headers,
    });
    expect([...page1.json().items, ...page2.json().items].map((m: { id: string }) => m.id)).toEqual(
      history
        .json()
        .items.slice(0, 6)
        .map((m: { id: string }) => m.id),
    );
  });

  it('refuses a script that does not compile with its line and column', async () => {
    const user = await h.tokens.mint();
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/bots',
      headers: user.headers,
      payload: { name: 'Broken', script: 'TALK "ok"\nIF x THEN\nTALK "never closed"' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.json().errors[0]).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
  });

  it('SEND MAIL records conversation.mail.requested for the email service and goes on', async () => {
    const user = await h.tokens.mint({ orgId: crypto.randomUUID() });
    const bot = await makeBot(
      user.headers,
      'TALK "sending"\nSEND MAIL "a@example.com; b@example.com", "Hi " & "there", "Body"\nTALK "sent"',
    );
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${bot.id}/sessions`,
      headers: user.headers,
      payload: {},
    });
    expect(res.statusCode).toBe(201);
    const { session } = res.json();
    expect(botTexts(res)).toEqual(['sending', 'sent']);
    const requests = await h.admin<{ payload: Record<string, unknown> }[]>`
      select payload from conversation.outbox
      where subject = 'conversation.mail.requested' and payload->'data'->>'sessionId' = ${session.id}`;
    expect(requests).toHaveLength(1);
    expect(requests[0]!.payload).toMatchObject({
      actor: { userId: user.userId },
      data: {
        sessionId: session.id,
        botId: bot.id,
        userId: user.userId,
        to: ['a@example.com', 'b@example.com'],
        subject: 'Hi there',
        body: 'Body',
      },
    });
  });

  it("SEND MAIL to something that is not an address is the script's error, and records nothing", async () => {
    const user = await h.tokens.mint();
    const bot = await makeBot(user.headers, 'SEND MAIL "not an address", "Hi", "Body"\nTALK "never"');
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${bot.id}/sessions`,
      headers: user.headers,
      payload: {},
    });
    expect(res.statusCode).toBe(201);
    const messages = res.json().messages as { sender: string; content: string }[];
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ sender: 'system' });
    expect(messages[0]!.content).toMatch(/SEND MAIL: to is not valid/);
    const [recorded] = await h.admin<{ n: number }[]>`
      select count(*)::int as n from conversation.outbox
      where subject = 'conversation.mail.requested' and payload->'data'->>'sessionId' = ${res.json().session.id}`;
    expect(recorded!.n).toBe(0);
  });

  it('GET refuses loopback addresses unless they are allowed', async () => {
    const user = await h.tokens.mint();
    const bot = await makeBot(user.headers, `data = GET "${localUrl}/status"\nTALK "got " & data.path`);
    const refused = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${bot.id}/sessions`,
      headers: user.headers,
      payload: {},
    });
    expect(refused.json().messages[0].content).toMatch(/private, loopback or link-local/);

    const viaName = await makeBot(
      user.headers,
      `data = GET "${localUrl.replace('127.0.0.1', 'localhost')}/x"\nTALK "got"`,
    );
    const refusedByName = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${viaName.id}/sessions`,
      headers: user.headers,
      payload: {},
    });
    expect(refusedByName.json().messages[0].content).toMatch(/private, loopback or link-local/);

    const allowed = await startConversationHarness({ env: { SCRIPT_HTTP_ALLOW: '127.0.0.0/8' } });
    try {
      const owner = await allowed.tokens.mint();
      const res = await allowed.app.inject({
        method: 'POST',
        url: '/v1/bots',
        headers: owner.headers,
        payload: { name: 'Fetcher', script: `data = GET "${localUrl}/status"\nTALK "got " & data.path` },
      });
      const session = await allowed.app.inject({
        method: 'POST',
        url: `/v1/bots/${res.json().id}/sessions`,
        headers: owner.headers,
        payload: {},
      });
      expect(session.json().messages[0].content).toBe('got /status');
    } finally {
      await allowed.close();
    }
  });

  it('a refused usage reservation is a 402 with the balance, and stores nothing', async () => {
    const user = await h.tokens.mint();
    const bot = await makeBot(user.headers, null, 'Plain');
    const started = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${bot.id}/sessions`,
      headers: user.headers,
      payload: {},
    });
    const sessionId = started.json().session.id;
    h.usage.refuse.set('messages', { remaining: 0, limit: 50 });
    try {
      const res = await say(user.headers, sessionId, 'hello?');
      expect(res.statusCode).toBe(402);
      expect(res.json()).toMatchObject({
        code: 'limit_reached',
        remaining: 0,
        limit: 50,
        metric: 'messages',
      });
      const stream = await h.app.inject({
        method: 'POST',
        url: `/v1/sessions/${sessionId}/messages`,
        headers: { ...user.headers, accept: 'text/event-stream' },
        payload: { text: 'streamed hello?' },
      });
      expect(stream.statusCode).toBe(402);
    } finally {
      h.usage.refuse.clear();
    }
    const [row] =
      await h.admin`select count(*)::int as n from conversation.message_history where session_id = ${sessionId}`;
    expect(row!.n).toBe(0);
    expect(
      h.usage.calls.some(
        (c) => c.subject.id === user.userId && c.items.some((item) => item.metric === 'messages'),
      ),
    ).toBe(true);
  });

  it('records clicks, and publishes events for sessions, messages, tools and clicks', async () => {
    const user = await h.tokens.mint();
    const bot = await makeBot(user.headers, null, 'Clicky');
    const started = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${bot.id}/sessions`,
      headers: user.headers,
      payload: {},
    });
    const sessionId = started.json().session.id;
    const click = await h.app.inject({
      method: 'POST',
      url: `/v1/sessions/${sessionId}/clicks`,
      headers: user.headers,
      payload: { elementId: 'suggestion-1', metadata: { label: 'Pricing' } },
    });
    expect(click.statusCode, click.body).toBe(201);
    await say(user.headers, sessionId, 'hi');
    const ended = await h.app.inject({
      method: 'POST',
      url: `/v1/sessions/${sessionId}/end`,
      headers: user.headers,
    });
    expect(ended.json().endedAt).not.toBeNull();
    const afterEnd = await say(user.headers, sessionId, 'still there?');
    expect(afterEnd.statusCode).toBe(410);

    const deadline = Date.now() + 5000;
    let subjects: string[] = [];
    while (Date.now() < deadline) {
      const rows =
        await h.admin`select subject, published_at from conversation.outbox where payload->'data'->>'sessionId' = ${sessionId}`;
      subjects = rows.map((r) => r.subject as string);
      if (rows.length >= 5 && rows.every((r) => r.published_at !== null)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(subjects).toEqual(
      expect.arrayContaining([
        'conversation.session.started',
        'conversation.click.recorded',
        'conversation.message.created',
        'conversation.session.ended',
      ]),
    );
    const stream = await h.bus.jsm.streams.info(`${h.namespace.toUpperCase()}_CONVERSATION`);
    expect(stream.state.messages).toBeGreaterThanOrEqual(5);
  });
});

describe('streamed dialog replies', () => {
  it('end with `done` (a script error is a system message in it), never `error` then `done`', async () => {
    const user = await h.tokens.mint();
    const bot = await makeBot(user.headers, 'TALK "Name?"\nHEAR name\nTALK "Hi " & name\nx = 1 / 0');
    const started = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${bot.id}/sessions`,
      headers: user.headers,
      payload: {},
    });
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/sessions/${started.json().session.id}/messages`,
      headers: { ...user.headers, accept: 'text/event-stream' },
      payload: { text: 'Ana' },
    });
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    const events = res.body
      .split('\n\n')
      .filter((block) => block.startsWith('event:'))
      .map((block) => block.split('\n')[0]!.slice(7));
    expect(events).toEqual(['delta', 'done']);
    const done = JSON.parse(res.body.split('event: done\ndata: ')[1]!);
    expect(done.messages.map((m: { sender: string }) => m.sender)).toEqual(['user', 'bot', 'system']);
    expect(done.messages[2].content).toMatch(/stopped with an error at line 4/);
  });
});
