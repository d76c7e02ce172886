import { randomUUID } from 'node:crypto';
import { RpcError, requestRpc } from '@conduit/bus';
import { conversationRpc } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';

// What the workflow engine's bot automations need of conversation: each bot save and deletion in
// the outbox (with the script's SET SCHEDULE), whose bot it is (asked as a user), and its memory
// and the knowledge bases its configuration names (as its owner).
let h: ConversationHarness;

beforeAll(async () => {
  h = await startConversationHarness();
});
afterAll(() => h?.close());

const outboxOf = (botId: string) =>
  h.admin<{ subject: string; payload: { data: Record<string, unknown> } }[]>`
    select subject, payload from conversation.outbox where payload->'data'->>'botId' = ${botId}
      and subject like 'conversation.bot.%' order by id`;

describe('bot events and RPCs for automations', () => {
  it('publish every save (with the SET SCHEDULE, and the script with it) and the deletion', async () => {
    const ann = await h.tokens.mint();
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/bots',
      headers: ann.headers,
      payload: { name: 'b', script: 'SET SCHEDULE "every monday at 9am"\nTALK "hi"' },
    });
    const botId = created.json().id as string;
    await h.app.inject({
      method: 'PATCH',
      url: `/v1/bots/${botId}`,
      headers: ann.headers,
      payload: { script: 'TALK "no schedule"' },
    });
    await h.app.inject({ method: 'DELETE', url: `/v1/bots/${botId}`, headers: ann.headers });
    const events = await outboxOf(botId);
    expect(events.map((e) => e.subject)).toEqual([
      'conversation.bot.saved',
      'conversation.bot.saved',
      'conversation.bot.deleted',
    ]);
    expect(events[0]!.payload.data).toMatchObject({
      ownerUserId: ann.userId,
      teamId: null,
      schedule: { cron: '0 9 * * 1', source: 'every monday at 9am' },
      script: 'SET SCHEDULE "every monday at 9am"\nTALK "hi"',
    });
    expect(events[1]!.payload.data).toMatchObject({ schedule: null, script: null });
    // A refused save publishes nothing.
    const stranger = await h.tokens.mint();
    const refused = await h.app.inject({
      method: 'PATCH',
      url: `/v1/bots/${botId}`,
      headers: stranger.headers,
      payload: { name: 'x' },
    });
    expect(refused.statusCode).toBe(404);
    expect(await outboxOf(botId)).toHaveLength(3);
  });

  it('say whose bot it is to those who may see it, and keep its memory for its owner only', async () => {
    const teamId = randomUUID();
    const ann = await h.tokens.mint({ teams: { [teamId]: 'member' } });
    const bot = await h.app.inject({
      method: 'POST',
      url: '/v1/bots',
      headers: ann.headers,
      payload: { name: 'team', teamId },
    });
    const botId = bot.json().id as string;
    const ownerAsked = (userId: string, teams = {}) =>
      requestRpc(h.bus, conversationRpc.botOwner, { botId, userId, teams });
    expect(await ownerAsked(randomUUID(), { [teamId]: 'viewer' })).toEqual({
      bot: { ownerUserId: ann.userId, teamId, orgId: null },
    });
    expect(await ownerAsked(randomUUID())).toEqual({ bot: null });
    expect(
      (await requestRpc(h.bus, conversationRpc.botOwner, { botId: randomUUID(), userId: ann.userId })).bot,
    ).toBeNull();

    const memory = { botId, ownerUserId: ann.userId, teamId, key: 'last' };
    await requestRpc(h.bus, conversationRpc.botMemory, { ...memory, op: 'set', value: { at: 1 } });
    expect(await requestRpc(h.bus, conversationRpc.botMemory, { ...memory, op: 'get' })).toEqual({
      value: { at: 1 },
    });
    const read = await h.app.inject({
      method: 'GET',
      url: `/v1/bots/${botId}/memories/last`,
      headers: ann.headers,
    });
    expect(read.json().value).toEqual({ at: 1 });
    for (const wrong of [{ teamId: null }, { teamId: randomUUID() }, { botId: randomUUID() }]) {
      const refused = requestRpc(h.bus, conversationRpc.botMemory, { ...memory, ...wrong, op: 'get' });
      await expect(refused).rejects.toBeInstanceOf(RpcError);
      await expect(refused).rejects.toMatchObject({ code: 'not_found' });
    }
  });

  it("map a knowledge base's name through the bot's configuration, as its dialogs do, for its owner only", async () => {
    const teamId = randomUUID();
    const ann = await h.tokens.mint({ teams: { [teamId]: 'admin' } });
    const bot = await h.app.inject({
      method: 'POST',
      url: '/v1/bots',
      headers: ann.headers,
      payload: { name: 'kb', teamId },
    });
    const botId = bot.json().id as string;
    const docs = randomUUID();
    const set = await h.app.inject({
      method: 'PUT',
      url: `/v1/bots/${botId}/config`,
      headers: ann.headers,
      payload: {
        items: [
          { key: 'KB.Product Docs', value: ` ${docs} ` },
          { key: 'kb.notes', value: 'not a collection id' },
        ],
      },
    });
    expect(set.statusCode, set.body).toBe(200);
    const named = (
      name: string,
      who: { ownerUserId?: string; teamId?: string | null; botId?: string } = {},
    ) =>
      requestRpc(h.bus, conversationRpc.botKnowledgeBase, {
        botId,
        ownerUserId: ann.userId,
        teamId,
        name,
        ...who,
      });
    expect(await named('product docs')).toEqual({ collectionId: docs });
    expect(await named('  PRODUCT DOCS ')).toEqual({ collectionId: docs });
    expect(await named('notes')).toEqual({ collectionId: null });
    expect(await named('handbook')).toEqual({ collectionId: null });
    for (const wrong of [{ teamId: null }, { teamId: randomUUID() }, { botId: randomUUID() }]) {
      const refused = named('product docs', wrong);
      await expect(refused).rejects.toBeInstanceOf(RpcError);
      await expect(refused).rejects.toMatchObject({ code: 'not_found' });
    }
  });
});
