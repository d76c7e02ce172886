import { requestRpc } from '@conduit/bus';
import { knowledgeEvents, knowledgeRpc } from '@conduit/contracts';
import { createDatabase } from '@conduit/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hybridSearch } from '../../src/domain/search/hybrid-search.js';
import {
  addText,
  bearer,
  createCollection,
  type KnowledgeHarness,
  startKnowledgeHarness,
  waitForDocument,
} from '../fixtures/knowledge-harness.js';

// Every search that runs is one knowledge.search.performed in the outbox (analytics counts them
// as kb_searches): which knowledge bases, how many hits, never the question.

let h: KnowledgeHarness;
let alice: { token: string; userId: string };
let mallory: { token: string; userId: string };
let recipes: string;
let gardening: string;
let session: string;

beforeAll(async () => {
  h = await startKnowledgeHarness();
  alice = await h.tokens.mint();
  mallory = await h.tokens.mint();
  session = h.sessions.start(alice.userId);
  recipes = (await createCollection(h, alice.token, { name: 'recipes' })).id;
  gardening = (await createCollection(h, alice.token, { name: 'gardening' })).id;
  for (const [collection, name, text] of [
    [recipes, 'pancakes', 'Whisk flour, eggs and milk; fry the pancake batter in butter.'],
    [gardening, 'tomatoes', 'Tomato seedlings need full sun and regular watering.'],
  ] as const) {
    const document = await addText(h, alice.token, collection, { name, text });
    await waitForDocument(h, alice.token, collection, document.id);
  }
}, 60_000);
afterAll(() => h?.close(), 30_000);

type Envelope = { actor: { userId: string } | null; data: Record<string, unknown> };
const searchEvents = async () =>
  (
    await h.admin<{ payload: Envelope }[]>`
      select payload from knowledge.outbox where subject = ${knowledgeEvents.searchPerformed.subject}
      order by id`
  ).map((row) => row.payload);

const search = (token: string, url: string) => h.app.inject({ method: 'GET', url, headers: bearer(token) });

describe('knowledge.search.performed', () => {
  it('records each search over HTTP and RPC with its knowledge bases and hit count, never the question', async () => {
    const before = (await searchEvents()).length;
    const one = await search(
      alice.token,
      `/v1/kb/collections/${recipes}/search?q=fry%20pancakes%20quietly&k=3`,
    );
    expect(one.statusCode).toBe(200);
    const all = await search(alice.token, '/v1/kb/search?q=zebra%20unicorn%20xylophone');
    expect(all.statusCode).toBe(200);
    expect(
      (
        await h.app.inject({
          method: 'PUT',
          url: `/v1/kb/sessions/${session}/collections/${gardening}`,
          headers: bearer(alice.token),
        })
      ).statusCode,
    ).toBe(201);
    const viaRpc = await requestRpc(h.bus, knowledgeRpc.search, {
      userId: alice.userId,
      sessionId: session,
      query: 'sunny tomato seedlings',
      k: 2,
    });

    const events = (await searchEvents()).slice(before);
    for (const event of events) knowledgeEvents.searchPerformed.envelope.parse(event);
    expect(events.map((event) => event.data)).toEqual([
      {
        collectionId: recipes,
        collectionCount: 1,
        sessionId: null,
        scope: 'collections',
        hits: one.json().hits.length,
      },
      {
        collectionId: null,
        collectionCount: 2,
        sessionId: null,
        scope: 'readable',
        hits: all.json().hits.length,
      },
      {
        collectionId: gardening,
        collectionCount: 1,
        sessionId: session,
        scope: 'session',
        hits: viaRpc.hits.length,
      },
    ]);
    expect(one.json().hits.length).toBeGreaterThan(0);
    expect(events.map((event) => event.actor?.userId)).toEqual([alice.userId, alice.userId, alice.userId]);
    const questions = await h.admin`
      select count(*)::int as n from knowledge.outbox
      where payload::text ilike any (array['%quietly%', '%xylophone%', '%sunny%'])`;
    expect(questions[0]!.n).toBe(0);
  });

  it("records a turn's one search over its session and its script's collections once", async () => {
    const before = (await searchEvents()).length;
    // The session links gardening (above); the script names recipes.
    const linked = await requestRpc(h.bus, knowledgeRpc.search, {
      userId: alice.userId,
      sessionId: session,
      collectionIds: [recipes],
      query: 'pancakes and tomatoes',
    });
    // A session with no links: what the script names is searched, as a search of those alone.
    const unlinked = await requestRpc(h.bus, knowledgeRpc.search, {
      userId: alice.userId,
      sessionId: h.sessions.start(alice.userId),
      collectionIds: [recipes],
      query: 'pancakes',
    });
    expect((await searchEvents()).slice(before).map((event) => event.data)).toEqual([
      {
        collectionId: null,
        collectionCount: 2,
        sessionId: session,
        scope: 'session',
        hits: linked.hits.length,
      },
      {
        collectionId: recipes,
        collectionCount: 1,
        sessionId: null,
        scope: 'collections',
        hits: unlinked.hits.length,
      },
    ]);
    expect(linked.hits.length).toBe(2);
  });

  it('records nothing for a search that is refused or has nothing to search', async () => {
    const before = (await searchEvents()).length;
    expect((await search(mallory.token, `/v1/kb/collections/${recipes}/search?q=pancakes`)).statusCode).toBe(
      404,
    );
    // Mallory can read no knowledge base: a search across all of them searches none.
    expect((await search(mallory.token, '/v1/kb/search?q=pancakes')).json()).toEqual({ hits: [] });
    expect((await searchEvents()).length).toBe(before);
  });
});

describe("the search's statements", () => {
  it('are planned once per connection (generic plans), the text leg too', async () => {
    // One connection, so that the statements the searches prepared can be read back on it.
    const one = createDatabase(h.database.appUrl, { max: 1 });
    try {
      const { actor } = (await h.tokens.verifier.verify(alice.token))!;
      for (const query of ['fry pancakes', 'pancake batter in butter', 'whisk the eggs', 'fry the batter']) {
        const { hits } = await hybridSearch({ ...h.deps, db: one.db }, actor, {
          scope: { kind: 'collections', collectionIds: [recipes] },
          query,
          k: 3,
        });
        expect(hits.map((hit) => hit.documentName)).toEqual(['pancakes']);
      }
      const prepared = await one.sql<{ statement: string; generic_plans: string; custom_plans: string }[]>`
        select statement, generic_plans, custom_plans from pg_prepared_statements`;
      const legs = {
        text: prepared.filter((p) => p.statement.includes('with totals as materialized')),
        vector: prepared.filter((p) => p.statement.includes('distinct on (c.document_id)')),
        passages: prepared.filter((p) => p.statement.includes('ts_headline')),
      };
      for (const [leg, statements] of Object.entries(legs)) {
        expect(statements.length, leg).toBeGreaterThan(0);
        // A custom plan is made afresh at each run, for its first five runs or for good.
        for (const statement of statements) expect(Number(statement.custom_plans), leg).toBe(0);
      }
      expect(Number(legs.text[0]!.generic_plans)).toBe(4);
    } finally {
      await one.close();
    }
  });
});
