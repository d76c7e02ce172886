import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ConversationHarness,
  startConversationHarness,
} from '@conduit/conversation/test/fixtures/conversation-harness.js';
import {
  type KnowledgeHarness,
  startKnowledgeHarness,
} from '@conduit/knowledge-base/test/fixtures/knowledge-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A bot's USE WEBSITE (issue #19, family 9) across conversation and knowledge-base on real
// Postgres, Redis and NATS: the site becomes a URL data source of the user's own collection,
// fetched and indexed by knowledge-base's worker, linked to the chat session, and FIND in the
// same session then answers from the page. Someone who may not add knowledge is refused.

let knowledge: KnowledgeHarness;
let conversation: ConversationHarness;
let site: Server;
let siteUrl: string;

const PAGE = `<!doctype html><html><head><title>Returns</title></head><body>
<h1>Returns</h1><p>Orders can be returned within 30 days of delivery for a full refund.</p>
<p>Refunds are paid to the original card within 5 business days.</p></body></html>`;

beforeAll(async () => {
  site = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/returns`;
  // The site is on this machine: knowledge-base may fetch private addresses here only.
  knowledge = await startKnowledgeHarness({
    conversationSessions: false,
    env: { URL_FETCH_ALLOW_PRIVATE: 'true' },
  });
  conversation = await startConversationHarness({ namespace: knowledge.namespace });
}, 120_000);

afterAll(async () => {
  await conversation?.close();
  await knowledge?.close();
  site?.close();
});

async function call(method: string, url: string, headers: Record<string, string>, payload?: object) {
  const res = await conversation.app.inject({
    method: method as 'GET',
    url,
    headers,
    ...(payload ? { payload } : {}),
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${url} -> ${res.statusCode} ${res.body}`);
  return res.json();
}

const SCRIPT = `USE WEBSITE site
TALK "Reading " & site
HEAR question
hits = FIND question
TALK hits[0].content`;

describe('USE WEBSITE', () => {
  it("makes the site knowledge of the session: a data source of the user's collection, then FIND answers from it", async () => {
    const user = await conversation.tokens.mint({
      perms: ['bots.read', 'bots.write', 'kb.read', 'kb.write'],
    });
    const bot = await call('POST', '/v1/bots', user.headers, { name: 'Reader', script: SCRIPT });
    await call('PUT', `/v1/bots/${bot.id}/config`, user.headers, {
      items: [{ key: 'param-site', value: siteUrl }],
    });
    const started = await call('POST', `/v1/bots/${bot.id}/sessions`, user.headers, {});
    expect(started.messages.map((m: { content: string }) => m.content)).toEqual([`Reading ${siteUrl}`]);

    const [source] =
      await knowledge.admin`select d.url, c.owner_user_id, c.metadata from knowledge.datasources d
      join knowledge.kb_collections c on c.id = d.collection_id`;
    expect(source).toMatchObject({
      url: siteUrl,
      owner_user_id: user.userId,
      metadata: { purpose: 'session-websites' },
    });
    const links = await knowledge.admin`select session_id from knowledge.user_kb_associations`;
    expect(links.map((l) => l.session_id)).toEqual([started.session.id]);

    // Read and indexed in the background by knowledge-base's worker.
    const until = Date.now() + 60_000;
    let status = '';
    while (status !== 'indexed' && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      [{ status } = { status: '' }] = await knowledge.admin`select status from knowledge.kb_documents`;
    }
    expect(status).toBe('indexed');
    const answer = await call('POST', `/v1/sessions/${started.session.id}/messages`, user.headers, {
      text: 'How long do refunds take?',
    });
    expect(answer.messages.at(-1).content).toContain(
      'Refunds are paid to the original card within 5 business days.',
    );

    // The same site again adds no second data source.
    await call('POST', `/v1/bots/${bot.id}/sessions`, user.headers, {});
    expect(await knowledge.admin`select 1 from knowledge.datasources`).toHaveLength(1);
  }, 120_000);

  it('is refused to someone who may not add knowledge, and nothing is added', async () => {
    const reader = await conversation.tokens.mint({ perms: ['bots.read', 'bots.write', 'kb.read'] });
    const bot = await call('POST', '/v1/bots', reader.headers, { name: 'Reader', script: SCRIPT });
    await call('PUT', `/v1/bots/${bot.id}/config`, reader.headers, {
      items: [{ key: 'param-site', value: 'https://example.com/' }],
    });
    const { messages } = await call('POST', `/v1/bots/${bot.id}/sessions`, reader.headers, {});
    expect(messages.at(-1).content).toContain(
      'USE WEBSITE adds to your knowledge bases, which your account may not do',
    );
    expect(
      await knowledge.admin`select 1 from knowledge.datasources where url = 'https://example.com/'`,
    ).toHaveLength(0);
  });
});
