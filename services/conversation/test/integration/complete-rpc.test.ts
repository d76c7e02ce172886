import { randomUUID } from 'node:crypto';
import { RpcError, requestRpc } from '@conduit/bus';
import { conversationRpc } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';
import { startOpenAiServer } from '../fixtures/openai-server.js';

// rpc.conversation.llm.complete, as the workflow engine calls it: a completion as a user, through
// the offline provider and a real local OpenAI-compatible server, charged to a payer.

let h: ConversationHarness;
let llm: Awaited<ReturnType<typeof startOpenAiServer>>;
const orgId = randomUUID();
const userId = randomUUID();
const payer = { type: 'user' as const, id: userId };

beforeAll(async () => {
  llm = await startOpenAiServer();
  h = await startConversationHarness();
  const admin = await h.tokens.mint({ orgId, perms: ['org.manage', 'bots.read', 'bots.write'] });
  const provider = await h.app.inject({
    method: 'POST',
    url: '/v1/providers',
    headers: admin.headers,
    payload: { name: 'Local', baseUrl: llm.url, apiKey: 'sk-test' },
  });
  expect(provider.statusCode, provider.body).toBe(201);
  for (const name of ['echo', 'fail-503']) {
    const model = await h.app.inject({
      method: 'POST',
      url: '/v1/models',
      headers: admin.headers,
      payload: { providerId: provider.json().id, name },
    });
    expect(model.statusCode, model.body).toBe(201);
  }
});
afterAll(async () => {
  await h?.close();
  await llm?.close();
});

const complete = (request: Partial<Parameters<typeof requestRpc<typeof conversationRpc.complete>>[2]>) =>
  requestRpc(h.bus, conversationRpc.complete, { userId, orgId, payer, prompt: 'Hello there', ...request });

describe('rpc.conversation.llm.complete', () => {
  it('answers through a model of the user, charging AI credits to the payer and giving back what it did not use', async () => {
    const answer = await complete({ model: 'echo', system: 'Be brief.', maxTokens: 2000 });
    expect(answer).toEqual({ text: 'You said: Hello there.', model: 'echo', tokens: 17 });
    const sent = llm.requests.at(-1)!.body;
    expect(sent.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
    const reserved = h.usage.calls.at(-1)!;
    expect(reserved).toMatchObject({ subject: payer, items: [{ metric: 'ai_credits', amount: 3 }] });
    expect(h.usage.releases.at(-1)).toMatchObject({
      subject: payer,
      items: [{ metric: 'ai_credits', amount: 2 }],
    });
  });

  it('answers offline without a model, and refuses models the user may not use', async () => {
    const offline = await complete({});
    expect(offline.model).toBe('offline');
    expect(offline.text.length).toBeGreaterThan(0);
    const elsewhere = complete({ model: 'echo', orgId: randomUUID() });
    await expect(elsewhere).rejects.toMatchObject({ code: 'not_found' });
    await expect(complete({ model: 'no-such-model' })).rejects.toBeInstanceOf(RpcError);
  });

  it('answers a repeated idempotency key with the first completion, neither asked nor charged again', async () => {
    const key = `${randomUUID()}:node:0`;
    const asked = llm.requests.length;
    const reservations = h.usage.calls.length;
    const first = await complete({ model: 'echo', prompt: 'Once only', idempotencyKey: key });
    const again = await complete({ model: 'echo', prompt: 'Once only', idempotencyKey: key });
    expect(again).toEqual(first);
    expect(llm.requests.length - asked).toBe(1);
    expect(h.usage.calls.length - reservations).toBe(1);
    // Another user's same key is theirs: asked and charged for them.
    const other = randomUUID();
    await complete({
      model: 'echo',
      prompt: 'Once only',
      idempotencyKey: key,
      userId: other,
      payer: { type: 'user', id: other },
      orgId,
    });
    expect(llm.requests.length - asked).toBe(2);
    // Nothing is kept for a failed completion: the next try asks again.
    const failing = `${randomUUID()}:node:0`;
    await expect(complete({ model: 'fail-503', idempotencyKey: failing })).rejects.toMatchObject({
      code: 'internal',
    });
    await expect(complete({ model: 'fail-503', idempotencyKey: failing })).rejects.toMatchObject({
      code: 'internal',
    });
  });

  it('asks anew when a repeated idempotency key comes with another question', async () => {
    // A retried automation whose n-th call branched otherwise: same key, another prompt.
    const key = `automation:${randomUUID()}:llm:0`;
    const asked = llm.requests.length;
    const first = await complete({ model: 'echo', prompt: 'Stock is low', idempotencyKey: key });
    const branched = await complete({ model: 'echo', prompt: 'Stock is fine', idempotencyKey: key });
    expect(first.text).toBe('You said: Stock is low.');
    expect(branched.text).toBe('You said: Stock is fine.');
    // The system text and the token bound are part of the question too.
    const system = await complete({
      model: 'echo',
      prompt: 'Stock is fine',
      system: 'Terse.',
      idempotencyKey: key,
    });
    const longer = await complete({
      model: 'echo',
      prompt: 'Stock is fine',
      maxTokens: 600,
      idempotencyKey: key,
    });
    expect(llm.requests.length - asked).toBe(4);
    expect(llm.requests.at(-2)!.body.messages[0]).toMatchObject({ role: 'system', content: 'Terse.' });
    expect([system.text, longer.text]).toEqual(['You said: Stock is fine.', 'You said: Stock is fine.']);
    // Each question is still answered once under the key.
    expect(await complete({ model: 'echo', prompt: 'Stock is low', idempotencyKey: key })).toEqual(first);
    expect(llm.requests.length - asked).toBe(4);
  });

  it('says when the provider fails or the credits are used up', async () => {
    await expect(complete({ model: 'fail-503' })).rejects.toMatchObject({ code: 'internal' });
    h.usage.refuse.set('ai_credits', { remaining: 0, limit: 10 });
    try {
      await expect(complete({ model: 'echo' })).rejects.toMatchObject({ code: 'limit_reached' });
    } finally {
      h.usage.refuse.delete('ai_credits');
    }
  });

  it('answers uncharged on a plan that does not limit AI credits, and refuses a payer without a subscription', async () => {
    h.usage.unlimited.add('ai_credits');
    const releases = h.usage.releases.length;
    try {
      const answer = await complete({ model: 'echo', prompt: 'Unlimited', maxTokens: 2000 });
      expect(answer.text).toBe('You said: Unlimited.');
      // Nothing was counted, so nothing of the unused credits is given back.
      expect(h.usage.releases.length).toBe(releases);
    } finally {
      h.usage.unlimited.delete('ai_credits');
    }
    const stranger = { type: 'user' as const, id: randomUUID() };
    h.usage.withoutSubscription.add(stranger.id);
    const asked = llm.requests.length;
    try {
      await expect(complete({ model: 'echo', payer: stranger })).rejects.toMatchObject({
        code: 'limit_reached',
        message: 'This plan does not include AI credits.',
      });
      expect(llm.requests.length).toBe(asked);
    } finally {
      h.usage.withoutSubscription.delete(stranger.id);
    }
  });
});
