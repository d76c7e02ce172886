import { randomUUID } from 'node:crypto';
import { requestRpc } from '@conduit/bus';
import { conversationRpc } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';

let h: ConversationHarness;

beforeAll(async () => {
  h = await startConversationHarness();
});
afterAll(() => h?.close());

describe('rpc.conversation.sessions.owner', () => {
  it("names a session's user while the session exists, and nobody for an unknown or deleted one", async () => {
    const ann = await h.tokens.mint();
    const bot = await h.app.inject({
      method: 'POST',
      url: '/v1/bots',
      headers: ann.headers,
      payload: { name: 'b' },
    });
    const started = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${bot.json().id}/sessions`,
      headers: ann.headers,
      payload: {},
    });
    const sessionId = started.json().session.id as string;
    const ownerOf = (id: string) => requestRpc(h.bus, conversationRpc.sessionOwner, { sessionId: id });

    expect(await ownerOf(sessionId)).toEqual({ userId: ann.userId });
    expect(await ownerOf(randomUUID())).toEqual({ userId: null });
    const deleted = await h.app.inject({
      method: 'DELETE',
      url: `/v1/sessions/${sessionId}`,
      headers: ann.headers,
    });
    expect(deleted.statusCode).toBe(204);
    expect(await ownerOf(sessionId)).toEqual({ userId: null });
  });

  it('answers bad_request for a session id that is not a uuid', async () => {
    await expect(requestRpc(h.bus, conversationRpc.sessionOwner, { sessionId: 'nope' })).rejects.toThrow();
    const reply = await h.bus.nc.request(
      h.bus.subject(conversationRpc.sessionOwner.subject),
      JSON.stringify({ sessionId: 'nope' }),
    );
    expect(reply.json()).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });
});
