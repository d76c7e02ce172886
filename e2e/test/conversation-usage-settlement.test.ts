import { releaseUsage, reserveUsage } from '@conduit/contracts';
import {
  type ConversationHarness,
  startConversationHarness,
} from '@conduit/conversation/test/fixtures/conversation-harness.js';
import { startOpenAiServer } from '@conduit/conversation/test/fixtures/openai-server.js';
import {
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
} from '@conduit/identity/test/fixtures/identity-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What a reply costs, on identity's real usage counters: a reply reserves a message and the AI
// credits it may use before it starts, in one call, then gives back what it did not use in at most
// one more, everything when it fails. Credits are counted per AI_CREDIT_TOKENS tokens (100 here, so that a short reply of 17
// tokens uses 1 credit of the 11 reserved for up to 1,024 tokens).

let identity: IdentityHarness;
let conversation: ConversationHarness;
let llm: Awaited<ReturnType<typeof startOpenAiServer>>;
let user: Awaited<ReturnType<typeof registerUser>>;
let headers: Record<string, string>;

beforeAll(async () => {
  llm = await startOpenAiServer();
  identity = await startIdentityHarness();
  const identityUrl = await identity.app.listen({ port: 0, host: '127.0.0.1' });
  conversation = await startConversationHarness({
    namespace: identity.namespace,
    usage: false,
    identityJwks: true,
    env: { IDENTITY_URL: identityUrl, AI_CREDIT_TOKENS: '100', LLM_MAX_TOKENS: '1024', LLM_TIMEOUT: '800ms' },
  });
  user = await registerUser(identity);
  headers = { authorization: `Bearer ${user.accessToken}` };
  const provider = await conversation.app.inject({
    method: 'POST',
    url: '/v1/providers',
    headers,
    payload: { name: 'Local', baseUrl: llm.url, apiKey: 'sk-test-usage' },
  });
  expect(provider.statusCode, provider.body).toBe(201);
  for (const name of ['echo', 'fail-503', 'stall', 'no-usage']) {
    const model = await conversation.app.inject({
      method: 'POST',
      url: '/v1/models',
      headers,
      payload: { providerId: provider.json().id, name },
    });
    expect(model.statusCode, model.body).toBe(201);
  }
}, 60_000);
afterAll(async () => {
  await conversation?.close();
  await identity?.close();
  await llm?.close();
});

/** The user's counters in identity: what has been spent this period. */
async function spent() {
  const rows = await identity.admin<{ metric: string; used: string }[]>`
    select c.metric, c.used from identity.usage_counters c
    join identity.user_subscriptions s on s.id = c.subscription_id
    where s.subject_type = 'user' and s.subject_id = ${user.user.id} and c.metric in ('messages', 'ai_credits')`;
  return Object.fromEntries(rows.map((row) => [row.metric, Number(row.used)]));
}

async function sessionWith(model: string, script?: string) {
  const bot = await conversation.app.inject({
    method: 'POST',
    url: '/v1/bots',
    headers,
    payload: { name: `Bot ${model}`, ...(script ? { script } : {}) },
  });
  expect(bot.statusCode, bot.body).toBe(201);
  await conversation.app.inject({
    method: 'PUT',
    url: `/v1/bots/${bot.json().id}/config`,
    headers,
    payload: { items: [{ key: 'llm-model', value: model }] },
  });
  const session = await conversation.app.inject({
    method: 'POST',
    url: `/v1/bots/${bot.json().id}/sessions`,
    headers,
    payload: {},
  });
  expect(session.statusCode, session.body).toBe(201);
  return session.json().session.id as string;
}

const say = (sessionId: string, text: string) =>
  conversation.app.inject({
    method: 'POST',
    url: `/v1/sessions/${sessionId}/messages`,
    headers,
    payload: { text },
  });

/**
 * Counts the usage RPCs the user's replies send while `act` runs: a subscription outside the
 * queue group gets a copy of every request on the subject.
 */
async function roundTrips(act: () => Promise<void>) {
  const nc = identity.bus.nc;
  const counts = { reserve: 0, release: 0 };
  const subscriptions = (['reserve', 'release'] as const).map((method) => {
    const def = method === 'reserve' ? reserveUsage : releaseUsage;
    return nc.subscribe(identity.bus.subject(def.subject), {
      callback: (_, msg) => {
        if (msg.json<{ subject: { id: string } }>().subject.id === user.user.id) counts[method]++;
      },
    });
  });
  // The server knows the subscriptions before the reply starts, and has delivered every copy by
  // the time a later round trip returns.
  await nc.flush();
  try {
    await act();
    await nc.flush();
  } finally {
    for (const subscription of subscriptions) subscription.unsubscribe();
  }
  return counts;
}

describe('usage of a reply', () => {
  it('keeps the message and the credits the reply used, and gives back the rest', async () => {
    const sessionId = await sessionWith('echo');
    const before = await spent();
    const calls = await roundTrips(async () => {
      const reply = await say(sessionId, 'hello there');
      expect(reply.statusCode, reply.body).toBe(201);
      expect(reply.json().usage).toEqual({ tokensIn: 12, tokensOut: 5 });
    });
    expect(await spent()).toEqual({ messages: before.messages! + 1, ai_credits: before.ai_credits! + 1 });
    expect(calls).toEqual({ reserve: 1, release: 1 });
  });

  it('gives back the message and every credit of a reply that failed', async () => {
    const sessionId = await sessionWith('fail-503');
    const before = await spent();
    const calls = await roundTrips(async () => {
      expect((await say(sessionId, 'hi')).statusCode).toBe(502);
    });
    expect(await spent()).toEqual(before);
    expect(calls).toEqual({ reserve: 1, release: 1 });
  });

  it('charges what a provider that reports no usage used, estimated from the text', async () => {
    const sessionId = await sessionWith('no-usage');
    const before = await spent();
    const reply = await say(sessionId, 'tell me a long story');
    expect(reply.statusCode, reply.body).toBe(201);
    // 1,720 characters of answer: about 430 tokens, 5 credits (the prompt adds a little).
    const after = await spent();
    expect(after.messages).toBe(before.messages! + 1);
    expect(after.ai_credits! - before.ai_credits!).toBeGreaterThanOrEqual(5);
    expect(after.ai_credits! - before.ai_credits!).toBeLessThanOrEqual(6);
  });

  it('keeps the credits of an answer that streamed and then failed, and gives back its message', async () => {
    const sessionId = await sessionWith('stall');
    const before = await spent();
    expect((await say(sessionId, 'hi')).statusCode).toBe(504);
    expect(await spent()).toEqual({ messages: before.messages, ai_credits: before.ai_credits! + 1 });
  });

  it('reserves an offline reply at its exact cost once it has answered, and gives nothing back', async () => {
    // The built-in model costs nothing to ask: its reply is produced first, then reserved.
    const sessionId = await sessionWith('offline');
    const before = await spent();
    const calls = await roundTrips(async () => {
      const reply = await say(sessionId, 'hello there');
      expect(reply.statusCode, reply.body).toBe(201);
      const { tokensIn, tokensOut } = reply.json().usage;
      expect(await spent()).toEqual({
        messages: before.messages! + 1,
        ai_credits: before.ai_credits! + Math.ceil((tokensIn + tokensOut) / 100),
      });
    });
    expect(calls).toEqual({ reserve: 1, release: 0 });
  });

  it('gives nothing back, and makes no release, when a reply used all it reserved', async () => {
    // A dialog without the LLM reserves one message and no credit, and stores it.
    const sessionId = await sessionWith('echo', 'HEAR answer\nTALK "Got " & answer\nHEAR more');
    const before = await spent();
    const calls = await roundTrips(async () => {
      const reply = await say(sessionId, 'yes');
      expect(reply.statusCode, reply.body).toBe(201);
    });
    expect(await spent()).toEqual({ messages: before.messages! + 1, ai_credits: before.ai_credits });
    expect(calls).toEqual({ reserve: 1, release: 0 });
  });

  it("charges a dialog script's LLM calls, and nothing for a start that says nothing", async () => {
    const before = await spent();
    const sessionId = await sessionWith(
      'echo',
      'HEAR question\nsummary = LLM "Summarise: " & question\nHEAR more',
    );
    // The script opens by listening: no reply, no message spent, no credit.
    expect(await spent()).toEqual(before);
    const reply = await say(sessionId, 'the ferry timetable');
    expect(reply.statusCode, reply.body).toBe(201);
    // The reply stores the user's message only, but the script's LLM call used 17 tokens.
    expect(reply.json().messages.map((m: { sender: string }) => m.sender)).toEqual(['user']);
    expect(await spent()).toEqual({ messages: before.messages! + 1, ai_credits: before.ai_credits! + 1 });
  });

  it('reserves nothing when the credits are refused', async () => {
    const sessionId = await sessionWith('echo');
    await identity.admin`
      update identity.usage_counters c set used = c."limit" - 1 from identity.user_subscriptions s
      where s.id = c.subscription_id and s.subject_id = ${user.user.id} and c.metric = 'ai_credits'`;
    const before = await spent();
    const calls = await roundTrips(async () => {
      const refused = await say(sessionId, 'hello again');
      expect(refused.statusCode).toBe(402);
      expect(refused.json()).toMatchObject({ code: 'limit_reached', metric: 'ai_credits', remaining: 1 });
    });
    // Identity refused both at once: the message was never reserved, so there is nothing to give back.
    expect(await spent()).toEqual(before);
    expect(calls).toEqual({ reserve: 1, release: 0 });
  });
});
