import { type RpcServer, serveRpc } from '@conduit/bus';
import { knowledgeRpc } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';

// Grounding in the knowledge base over `rpc.knowledge.search`. A NATS responder in this test
// answers with contract-valid hits (the real protocol on the real NATS), so what the offline
// provider quotes is known exactly.

let h: ConversationHarness;
let kb: RpcServer;
const collectionId = crypto.randomUUID();
const searches: { userId: string; collectionIds?: string[] | undefined; query: string }[] = [];

const passage = (content: string, headingPath: string[], textRank: number | null) => ({
  chunkId: crypto.randomUUID(),
  documentId: crypto.randomUUID(),
  documentName: 'handbook.md',
  collectionId,
  headingPath,
  charStart: 0,
  charEnd: content.length,
  content,
  snippet: content,
  score: 0.03,
  textRank,
  vectorRank: 1,
  textScore: textRank ? 0.5 : null,
  vectorScore: 0.4,
});

beforeAll(async () => {
  h = await startConversationHarness();
  kb = serveRpc(h.bus, knowledgeRpc.search, 'knowledge-base', async (request) => {
    searches.push(request);
    if (/refund/i.test(request.query))
      return {
        hits: [
          passage(
            'Orders can be returned within 30 days. Refunds are paid to the original card within 5 business days. Shipping costs are not refunded.',
            ['Policies', 'Refunds'],
            1,
          ),
        ],
      };
    return { hits: [passage('Our office is painted green.', ['About'], null)] };
  });
});
afterAll(async () => {
  await kb?.stop();
  await h?.close();
});

describe('answers grounded in the knowledge base', () => {
  it('USE KB by configured name, then the offline provider quotes and cites, or says it has no answer', async () => {
    const user = await h.tokens.mint({ orgId: crypto.randomUUID() });
    const bot = await h.app.inject({
      method: 'POST',
      url: '/v1/bots',
      headers: user.headers,
      payload: {
        name: 'Support',
        script: 'USE KB "handbook"\nfound = FIND "refund"\nTALK "Top source: " & found[0].source',
      },
    });
    const csv = await h.app.inject({
      method: 'PUT',
      url: `/v1/bots/${bot.json().id}/config.csv`,
      headers: { ...user.headers, 'content-type': 'text/csv' },
      payload: `name,value\nkb.handbook,${collectionId}\nwelcome-message,"Hi, ask me"\n`,
    });
    expect(csv.statusCode, csv.body).toBe(200);
    const exported = await h.app.inject({
      method: 'GET',
      url: `/v1/bots/${bot.json().id}/config.csv`,
      headers: user.headers,
    });
    expect(exported.body).toBe(`name,value\nkb.handbook,${collectionId}\nwelcome-message,"Hi, ask me"\n`);

    const started = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${bot.json().id}/sessions`,
      headers: user.headers,
      payload: {},
    });
    expect(started.statusCode, started.body).toBe(201);
    expect(started.json().messages[0].content).toBe('Top source: handbook.md › Policies › Refunds');
    expect(started.json().session.knowledgeBases).toEqual([{ name: 'handbook', collectionId }]);
    const sessionId = started.json().session.id;

    const answer = await h.app.inject({
      method: 'POST',
      url: `/v1/sessions/${sessionId}/messages`,
      headers: user.headers,
      payload: { text: 'How long do refunds take?' },
    });
    expect(answer.statusCode, answer.body).toBe(201);
    const reply = answer.json().messages.find((m: { sender: string }) => m.sender === 'bot');
    expect(reply.content).toContain('Refunds are paid to the original card within 5 business days.');
    expect(reply.content).toContain('[1] handbook.md › Policies › Refunds');
    expect(reply.model).toBe('offline');
    expect(reply.metadata.citations[0]).toMatchObject({ n: 1, source: 'handbook.md › Policies › Refunds' });
    expect(searches.at(-1)).toMatchObject({ userId: user.userId, collectionIds: [collectionId] });

    const unknown = await h.app.inject({
      method: 'POST',
      url: `/v1/sessions/${sessionId}/messages`,
      headers: user.headers,
      payload: { text: 'Who won the match yesterday?' },
    });
    expect(unknown.json().messages[1].content).toMatch(/don't have an answer/);
  });

  it('an unknown knowledge-base name is a clear script error', async () => {
    const user = await h.tokens.mint();
    const bot = await h.app.inject({
      method: 'POST',
      url: '/v1/bots',
      headers: user.headers,
      payload: { name: 'x', script: 'USE KB "nowhere"' },
    });
    const started = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${bot.json().id}/sessions`,
      headers: user.headers,
      payload: {},
    });
    expect(started.json().messages[0].content).toMatch(/unknown knowledge base "nowhere".*kb\.nowhere/);
  });
});
