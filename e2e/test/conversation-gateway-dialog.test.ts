import {
  type ConversationHarness,
  startConversationHarness,
} from '@conduit/conversation/test/fixtures/conversation-harness.js';
import { type GatewayHarness, startGateway } from '@conduit/gateway/test/fixtures/gateway-harness.js';
import {
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
} from '@conduit/identity/test/fixtures/identity-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The acceptance dialog, as a client sees it: through the gateway, with a real identity issuing
// the tokens and answering the usage RPC, and the conversation service restarted between turns.

let identity: IdentityHarness;
let conversation: ConversationHarness;
let gateway: GatewayHarness;

const LEAD = `
TALK "Hello! What is your work email?"
HEAR email AS EMAIL
SET USER MEMORY "email", email
leads = GET BOT MEMORY "leads"
IF ISEMPTY(leads) THEN leads = 0
SET BOT MEMORY "leads", leads + 1
USE TOOL "quote"
TALK "Thanks \${email}, you are lead \${leads + 1}. How many seats?"
HEAR seats AS INTEGER
TALK "Noted: \${seats} seats."
`;
const QUOTE = `
DESCRIPTION "Prices a plan"
PARAM seats AS INTEGER LIKE 10
email = GET USER MEMORY "email"
TALK "Quote for \${email}: \${seats * 12} a month."
RETURN {"total": seats * 12}
`;

beforeAll(async () => {
  identity = await startIdentityHarness();
  const identityUrl = await identity.app.listen({ port: 0, host: '127.0.0.1' });
  conversation = await startConversationHarness({
    namespace: identity.namespace,
    usage: false,
    identityJwks: true,
    env: { IDENTITY_URL: identityUrl },
  });
  const conversationUrl = await conversation.listen();
  gateway = await startGateway({ IDENTITY_URL: identityUrl, CONVERSATION_URL: conversationUrl });
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  await conversation?.close();
  await identity?.close();
});

async function call(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const said = (body: { messages: { sender: string; content: string }[] }) =>
  body.messages.filter((m) => m.sender !== 'user').map((m) => m.content);

describe('a multi-turn dialog through the gateway', () => {
  it('re-asks a bad email, remembers, calls a tool and resumes after a restart', async () => {
    const user = await registerUser(identity);
    const token = user.accessToken;
    const bot = await call('POST', '/v1/bots', token, { name: 'Lead bot', script: LEAD });
    expect(bot.status, JSON.stringify(bot.body)).toBe(201);
    const tool = await call('PUT', `/v1/bots/${bot.body.id}/tools/quote`, token, { script: QUOTE });
    expect(tool.status).toBe(201);

    const started = await call('POST', `/v1/bots/${bot.body.id}/sessions`, token, {});
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const sessionId = started.body.session.id;
    expect(said(started.body)).toEqual(['Hello! What is your work email?']);

    const bad = await call('POST', `/v1/sessions/${sessionId}/messages`, token, { text: 'ana at example' });
    expect(bad.status).toBe(201);
    expect(said(bad.body)[0]).toMatch(/email/i);

    const good = await call('POST', `/v1/sessions/${sessionId}/messages`, token, { text: 'ana@example.com' });
    expect(said(good.body)).toEqual(['Thanks ana@example.com, you are lead 1. How many seats?']);

    await conversation.restart();

    const quote = await call('POST', `/v1/sessions/${sessionId}/tools/quote`, token, { args: { seats: 5 } });
    expect(quote.status, JSON.stringify(quote.body)).toBe(200);
    expect(quote.body.result).toEqual({ total: 60 });
    expect(said(quote.body)).toContain('Quote for ana@example.com: 60 a month.');

    const seats = await call('POST', `/v1/sessions/${sessionId}/messages`, token, { text: 'five' });
    expect(said(seats.body)[0]).toMatch(/number/i);
    const done = await call('POST', `/v1/sessions/${sessionId}/messages`, token, { text: '5' });
    expect(said(done.body)).toEqual(['Noted: 5 seats.']);

    const memories = await call('GET', '/v1/memories', token);
    expect(memories.body.items).toEqual([
      expect.objectContaining({ key: 'email', value: 'ana@example.com' }),
    ]);

    // Identity counted the replies against the user's plan.
    const [counter] = await identity.admin`
      select c.used from identity.usage_counters c join identity.user_subscriptions s on s.id = c.subscription_id
      where s.subject_id = ${user.user.id} and c.metric = 'messages'`;
    expect(Number(counter?.used)).toBeGreaterThanOrEqual(5);
  });

  it('streams a reply as Server-Sent Events through the gateway', async () => {
    const user = await registerUser(identity);
    const bot = await call('POST', '/v1/bots', user.accessToken, { name: 'Plain' });
    const session = await call('POST', `/v1/bots/${bot.body.id}/sessions`, user.accessToken, {});
    const res = await fetch(`${gateway.url}/v1/sessions/${session.body.session.id}/messages`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${user.accessToken}`,
        'content-type': 'application/json',
        accept: 'text/event-stream',
      },
      body: JSON.stringify({ text: 'anything?' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await res.text();
    expect(text).toMatch(/event: delta/);
    expect(text).toMatch(/event: done/);
  });

  it('answers anonymous callers with 401 at the gateway', async () => {
    const res = await fetch(`${gateway.url}/v1/bots`);
    expect(res.status).toBe(401);
  });
});
