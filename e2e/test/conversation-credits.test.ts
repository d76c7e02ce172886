import { requestRpc } from '@conduit/bus';
import { conversationRpc } from '@conduit/contracts';
import {
  type ConversationHarness,
  startConversationHarness,
} from '@conduit/conversation/test/fixtures/conversation-harness.js';
import { startOpenAiServer } from '@conduit/conversation/test/fixtures/openai-server.js';
import {
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
  uniqueEmail,
} from '@conduit/identity/test/fixtures/identity-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Bought AI credits beside the plan's monthly quota, on identity's real counters and ledger: the
// quota is spent first, then the credits; what a completion did not use goes back to the credits
// first; a reply neither can pay for is a 402. Credits are counted per AI_CREDIT_TOKENS tokens (100
// here: an echo reply of 17 tokens uses 1 credit of the several reserved).

let identity: IdentityHarness;
let conversation: ConversationHarness;
let llm: Awaited<ReturnType<typeof startOpenAiServer>>;
const adminEmail = uniqueEmail('credits-admin');
let admin: Awaited<ReturnType<typeof registerUser>>;

beforeAll(async () => {
  llm = await startOpenAiServer();
  identity = await startIdentityHarness({ env: { PLATFORM_ADMIN_EMAILS: adminEmail } });
  const identityUrl = await identity.app.listen({ port: 0, host: '127.0.0.1' });
  conversation = await startConversationHarness({
    namespace: identity.namespace,
    usage: false,
    identityJwks: true,
    env: { IDENTITY_URL: identityUrl, AI_CREDIT_TOKENS: '100', LLM_MAX_TOKENS: '1024' },
  });
  admin = await registerUser(identity, { email: adminEmail });
}, 60_000);
afterAll(async () => {
  await conversation?.close();
  await identity?.close();
  await llm?.close();
});

/** A fresh user with an echo model of their own and the AI-credit quota at `used` of 500. */
async function userWith(used: number) {
  const user = await registerUser(identity);
  const headers = { authorization: `Bearer ${user.accessToken}` };
  const provider = await conversation.app.inject({
    method: 'POST',
    url: '/v1/providers',
    headers,
    payload: { name: 'Local', baseUrl: llm.url, apiKey: 'sk-test-credits' },
  });
  expect(provider.statusCode, provider.body).toBe(201);
  const model = await conversation.app.inject({
    method: 'POST',
    url: '/v1/models',
    headers,
    payload: { providerId: provider.json().id, name: 'echo' },
  });
  expect(model.statusCode, model.body).toBe(201);
  await identity.admin`update identity.usage_counters c set used = ${used}
    from identity.user_subscriptions s
    where s.id = c.subscription_id and s.subject_type = 'user' and s.subject_id = ${user.user.id}
      and c.metric = 'ai_credits'`;
  return { user, headers };
}

const topUp = async (userId: string, amount: number) => {
  const response = await identity.app.inject({
    method: 'POST',
    url: `/v1/admin/users/${userId}/credits`,
    headers: { authorization: `Bearer ${admin.accessToken}` },
    payload: { amount, reason: 'e2e' },
  });
  expect(response.statusCode, response.body).toBe(201);
};

async function standing(userId: string) {
  const [row] = await identity.admin<{ used: string; balance: string | null; ledger: string }[]>`
    select (select c.used from identity.usage_counters c join identity.user_subscriptions s on s.id = c.subscription_id
            where s.subject_type = 'user' and s.subject_id = ${userId} and c.metric = 'ai_credits') as used,
           (select balance from identity.credit_balances where subject_type = 'user' and subject_id = ${userId}) as balance,
           (select coalesce(sum(amount), 0) from identity.credit_ledger where subject_type = 'user' and subject_id = ${userId}) as ledger`;
  return { used: Number(row!.used), balance: Number(row!.balance ?? 0), ledger: Number(row!.ledger) };
}

const ledgerKinds = async (userId: string) =>
  (
    await identity.admin<{ kind: string; amount: string }[]>`
      select kind, amount from identity.credit_ledger where subject_type = 'user' and subject_id = ${userId}
      order by created_at, id`
  ).map((row) => [row.kind, Number(row.amount)] as const);

async function sessionOf(headers: Record<string, string>) {
  const bot = await conversation.app.inject({
    method: 'POST',
    url: '/v1/bots',
    headers,
    payload: { name: 'Bot' },
  });
  await conversation.app.inject({
    method: 'PUT',
    url: `/v1/bots/${bot.json().id}/config`,
    headers,
    payload: { items: [{ key: 'llm-model', value: 'echo' }] },
  });
  const session = await conversation.app.inject({
    method: 'POST',
    url: `/v1/bots/${bot.json().id}/sessions`,
    headers,
    payload: {},
  });
  return session.json().session.id as string;
}

describe('AI credits beside the quota', () => {
  it('a completion over the quota draws credits, and gives back to the credits first what it did not use', async () => {
    const { user } = await userWith(495);
    await topUp(user.user.id, 30);
    const answer = await requestRpc(conversation.bus, conversationRpc.complete, {
      userId: user.user.id,
      orgId: user.user.organizationId,
      payer: { type: 'user', id: user.user.id },
      model: 'echo',
      prompt: 'Hello there',
      maxTokens: 2000,
    });
    expect(answer).toMatchObject({ model: 'echo', tokens: 17 });
    // It used 1 credit: from the quota, which is spent first; every bought credit came back.
    expect(await standing(user.user.id)).toEqual({ used: 496, balance: 30, ledger: 30 });
    const ledger = await ledgerKinds(user.user.id);
    expect(ledger[0]).toEqual(['top_up', 30]);
    expect(ledger.slice(1).map(([kind]) => kind)).toEqual(['spend', 'release']);
    expect(ledger[1]![1]).toBeLessThan(0);
    expect(ledger[2]![1]).toBe(-ledger[1]![1]);
  });

  it('a chat reply over the quota draws credits and gives back the unused ones; with neither enough left it is a 402 that spends nothing', async () => {
    const { user, headers } = await userWith(498);
    const sessionId = await sessionOf(headers);
    await topUp(user.user.id, 3);
    const say = () =>
      conversation.app.inject({
        method: 'POST',
        url: `/v1/sessions/${sessionId}/messages`,
        headers,
        payload: { text: 'hello' },
      });

    const refused = await say();
    expect(refused.statusCode).toBe(402);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    expect(await standing(user.user.id)).toEqual({ used: 498, balance: 3, ledger: 3 });

    await topUp(user.user.id, 100);
    const reply = await say();
    expect(reply.statusCode, reply.body).toBe(201);
    // The reply reserved more than the 2 credits left of the quota and drew the rest from the
    // bought ones; it used 1 credit (from the quota, spent first), and what it did not use went
    // back to the bought credits first: every one of them is back.
    expect(await standing(user.user.id)).toEqual({ used: 499, balance: 103, ledger: 103 });
    const ledger = await ledgerKinds(user.user.id);
    expect(ledger.map(([kind]) => kind)).toEqual(['top_up', 'top_up', 'spend', 'release']);
    expect(ledger[3]![1]).toBe(-ledger[2]![1]);
    const profile = await identity.app.inject({ method: 'GET', url: '/v1/me/profile', headers });
    expect(profile.json()).toMatchObject({ credits: 103 });
  });
});
