import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';
import { startOpenAiServer } from '../fixtures/openai-server.js';

// General Bots BASIC keywords of issue #19 (dialog and prompts; memory and users) run through the
// service on real Postgres, Redis and NATS, each checked by its effect: the message stored, the
// suggestions in the answer and the stream, the system prompt and model the LLM server received,
// the rows kept of the user.

let h: ConversationHarness;
let llm: Awaited<ReturnType<typeof startOpenAiServer>>;
let serviceUrl: string;
let user: Awaited<ReturnType<ConversationHarness['tokens']['mint']>>;
const orgId = crypto.randomUUID();

beforeAll(async () => {
  llm = await startOpenAiServer();
  h = await startConversationHarness();
  serviceUrl = await h.app.listen({ port: 0, host: '127.0.0.1' });
  user = await h.tokens.mint({ orgId, perms: ['org.manage', 'bots.read', 'bots.write'] });
  const provider = await call('POST', '/v1/providers', {
    name: 'Local',
    baseUrl: llm.url,
    apiKey: 'sk-local-1',
  });
  await call('POST', '/v1/models', { providerId: provider.id, name: 'echo' });
});
afterAll(async () => {
  await h?.close();
  await llm?.close();
});

async function call(method: string, url: string, payload?: object, headers = user.headers) {
  const res = await h.app.inject({ method: method as 'GET', url, headers, ...(payload ? { payload } : {}) });
  if (res.statusCode >= 300) throw new Error(`${method} ${url} -> ${res.statusCode} ${res.body}`);
  return res.statusCode === 204 ? null : res.json();
}

async function botWith(script: string, config: { key: string; value: string }[] = []) {
  const bot = await call('POST', '/v1/bots', { name: 'GB bot', script });
  if (config.length) await call('PUT', `/v1/bots/${bot.id}/config`, { items: config });
  return bot.id as string;
}

async function start(botId: string) {
  return (await call('POST', `/v1/bots/${botId}/sessions`, {})) as {
    session: { id: string; suggestions: { key: string; text: string }[] };
    messages: { sender: string; content: string }[];
  };
}

const say = (sessionId: string, text: string) => call('POST', `/v1/sessions/${sessionId}/messages`, { text });
const botTexts = (reply: { messages: { sender: string; content: string }[] }) =>
  reply.messages.filter((m) => m.sender !== 'user').map((m) => m.content);

async function streamed(sessionId: string, text: string) {
  const res = await fetch(`${serviceUrl}/v1/sessions/${sessionId}/messages`, {
    method: 'POST',
    headers: { ...user.headers, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ text }),
  });
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n\n')
    .filter((block) => block.startsWith('event:'))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine!.slice(7), data: JSON.parse(dataLine!.slice(6)) };
    });
}

describe('dialog and prompts', () => {
  it('BEGIN TALK is one Markdown message; SWITCH, comments, continuation, any case and param-* settings work', async () => {
    const botId = await botWith(
      `REM General Bots style
' the plan comes from config (param-plan), the company too
begin talk
  ## Welcome to \${company}
  * one message, *Markdown* kept
  * quotes " and apostrophes ' stay
end talk
Switch PLAN
  Case "gold", "platinum"
    Talk "Priority support, " & _
      "24/7"
  CASE ELSE
    TALK "Standard support"
END SWITCH
TALK seats + 1`,
      [
        { key: 'param-company', value: 'ACME' },
        { key: 'param-plan', value: 'platinum' },
        { key: 'param-seats', value: '9' },
      ],
    );
    const { messages } = await start(botId);
    expect(messages.map((m) => m.content)).toEqual([
      '## Welcome to ACME\n* one message, *Markdown* kept\n* quotes " and apostrophes \' stay',
      'Priority support, 24/7',
      '10',
    ]);
  });

  it('ADD SUGGESTION / CLEAR SUGGESTIONS: in the JSON answer and as an SSE event', async () => {
    const botId = await botWith(`ADD SUGGESTION "pricing" AS "See prices"
ADD SUGGESTION "human"
TALK "How can I help?"
HEAR topic
CLEAR SUGGESTIONS
ADD SUGGESTION "more" AS "Tell me more about \${topic}"
TALK "Noted: " & topic
HEAR again`);
    const started = await start(botId);
    expect(started.session.suggestions).toEqual([
      { key: 'pricing', text: 'See prices' },
      { key: 'human', text: 'human' },
    ]);
    const events = await streamed(started.session.id, 'billing');
    const suggestionEvents = events.filter((e) => e.event === 'suggestions').map((e) => e.data.suggestions);
    expect(suggestionEvents).toEqual([[], [{ key: 'more', text: 'Tell me more about billing' }]]);
    const done = events.find((e) => e.event === 'done')!.data;
    expect(done.session.suggestions).toEqual([{ key: 'more', text: 'Tell me more about billing' }]);
    const listed = await call('GET', `/v1/sessions/${started.session.id}`);
    expect(listed.suggestions).toEqual([{ key: 'more', text: 'Tell me more about billing' }]);
  });

  it('BEGIN SYSTEM PROMPT and USE MODEL reach the LLM, in the LLM keyword and in the next LLM turns', async () => {
    const botId = await botWith(`BEGIN SYSTEM PROMPT
You are Captain Byte, a pirate.
Answer in one line.
END SYSTEM PROMPT
USE MODEL "echo"
answer = LLM "Say hello"
TALK answer`);
    const before = llm.requests.length;
    const { session, messages } = await start(botId);
    expect(messages.map((m) => m.content)).toEqual(['You said: Say hello.']);
    const reply = await say(session.id, 'Where is the treasure?');
    expect(botTexts(reply)).toEqual(['You said: Where is the treasure?.']);
    const sent = llm.requests.slice(before);
    expect(sent).toHaveLength(2);
    for (const request of sent) {
      expect(request.body.model).toBe('echo');
      expect(request.body.messages[0]).toMatchObject({
        role: 'system',
        content: expect.stringContaining('You are Captain Byte, a pirate.\nAnswer in one line.'),
      });
    }
  });

  it('USE MODEL with a model that is not configured stops the script with a message naming it', async () => {
    const botId = await botWith('USE MODEL "gpt-nonexistent"\nTALK "unreachable"');
    const { messages } = await start(botId);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ sender: 'system' });
    expect(messages[0]!.content).toMatch(/USE MODEL failed: there is no active chat model "gpt-nonexistent"/);
  });
});

describe('memory and users', () => {
  it('REMEMBER (with a duration) and RECALL, SET USER FACT and USER FACTS(), per user and bot', async () => {
    const botId = await botWith(`last = RECALL "last-topic"
IF ISEMPTY(last) THEN
  REMEMBER "last-topic", "shipping", "30 minutes"
  REMEMBER "visited", TRUE
  SET USER FACT "city", "Lisbon"
  SET USER FACT "plan", {"name": "gold", "seats": 3}
  TALK "first visit"
ELSE
  facts = USER FACTS()
  TALK "back for " & last & " from " & facts.city & " on " & facts.plan.name
END IF`);
    const first = await start(botId);
    expect(first.messages.map((m) => m.content)).toEqual(['first visit']);
    const stored = await h.admin`
      select kind, key, value, expires_at from conversation.bot_user_memories
      where bot_id = ${botId} and user_id = ${user.userId} order by kind, key`;
    expect(stored.map((r) => [r.kind, r.key, r.value])).toEqual([
      ['fact', 'city', 'Lisbon'],
      ['fact', 'plan', { name: 'gold', seats: 3 }],
      ['remember', 'last-topic', 'shipping'],
      ['remember', 'visited', true],
    ]);
    const expiry = (stored[2]!.expires_at as Date).getTime() - Date.now();
    expect(expiry).toBeGreaterThan(29 * 60_000);
    expect(expiry).toBeLessThanOrEqual(30 * 60_000);
    expect(stored[3]!.expires_at).toBeNull();

    const second = await start(botId);
    expect(second.messages.map((m) => m.content)).toEqual(['back for shipping from Lisbon on gold']);

    // Another user of the same bot has memories of their own.
    const other = await h.tokens.mint({ orgId });
    await call('PATCH', `/v1/bots/${botId}`, { visibility: 'organization' });
    const theirs = await call('POST', `/v1/bots/${botId}/sessions`, {}, other.headers);
    expect(theirs.messages.map((m: { content: string }) => m.content)).toEqual(['first visit']);

    // Once it has expired, RECALL gives nothing.
    await h.admin`update conversation.bot_user_memories set expires_at = now() - interval '1 second'
      where bot_id = ${botId} and user_id = ${user.userId} and key = 'last-topic'`;
    const third = await start(botId);
    expect(third.messages.map((m) => m.content)).toEqual(['first visit']);
  });

  it('REMEMBER with a duration that is not one stops with a message saying what a duration is', async () => {
    const botId = await botWith('REMEMBER "x", 1, "soon"');
    const { messages } = await start(botId);
    expect(messages[0]!.content).toMatch(/REMEMBER failed: "soon" is not a duration/);
  });

  it('SET USER does not compile, and the 422 says why', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/bots',
      headers: user.headers,
      payload: { name: 'x', script: 'SET USER "someone@example.com"\nTALK "hi"' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toMatch(
      /SET USER is refused: a bot script always acts for the person talking to the bot/,
    );
  });

  it('keywords of later families do not compile, naming the keyword', async () => {
    for (const [script, keyword] of [
      // READ is built now (bot files); CREATE TASK is still refused (keyword-status.ts).
      ['CREATE TASK "Call Ana"', 'CREATE TASK'],
      ['RUN PYTHON "print(1)"', 'RUN PYTHON'],
      ['t = WEATHER "Lisbon"', 'WEATHER'],
    ]) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/v1/bots',
        headers: user.headers,
        payload: { name: 'x', script },
      });
      expect(res.statusCode, script).toBe(422);
      expect(res.body).toContain(`${keyword} is`);
    }
  });
});
