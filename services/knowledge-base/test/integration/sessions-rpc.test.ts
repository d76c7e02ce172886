import { randomUUID } from 'node:crypto';
import { RpcError, requestRpc } from '@conduit/bus';
import { knowledgeRpc } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addText,
  bearer,
  createCollection,
  type KnowledgeHarness,
  startKnowledgeHarness,
  waitForDocument,
} from '../fixtures/knowledge-harness.js';

let h: KnowledgeHarness;
let alice: { token: string; userId: string };
let mallory: { token: string; userId: string };
let recipes: string;
let gardening: string;
let teamKb: string;
const team = randomUUID();
/** Alice's chat session, as conversation knows it. */
let session: string;

beforeAll(async () => {
  h = await startKnowledgeHarness();
  alice = await h.tokens.mint({ teams: { [team]: 'viewer' } });
  mallory = await h.tokens.mint();
  session = h.sessions.start(alice.userId);
  const owner = await h.tokens.mint({ teams: { [team]: 'owner' } });
  recipes = (await createCollection(h, alice.token, { name: 'recipes' })).id;
  gardening = (await createCollection(h, alice.token, { name: 'gardening' })).id;
  teamKb = (await createCollection(h, owner.token, { name: 'team wiki', teamId: team })).id;
  const docs = [
    [alice, recipes, 'pancakes', 'Whisk flour, eggs and milk; fry the pancake batter in butter.'],
    [alice, gardening, 'tomatoes', 'Tomato seedlings need full sun and regular watering.'],
    [owner, teamKb, 'onboarding', 'New colleagues receive a laptop and a badge on day one.'],
  ] as const;
  for (const [user, collection, name, text] of docs) {
    const document = await addText(h, user.token, collection, { name, text });
    await waitForDocument(h, user.token, collection, document.id);
  }
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

const attach = (token: string, sessionId: string, collectionId: string) =>
  h.app.inject({
    method: 'PUT',
    url: `/v1/kb/sessions/${sessionId}/collections/${collectionId}`,
    headers: bearer(token),
  });

describe('session knowledge bases (USE KB)', () => {
  it('attaches, lists and detaches collections of a session', async () => {
    expect((await attach(alice.token, session, recipes)).statusCode).toBe(201);
    expect((await attach(alice.token, session, recipes)).statusCode).toBe(200);
    expect((await attach(alice.token, session, teamKb)).statusCode).toBe(201);
    const list = await h.app.inject({
      method: 'GET',
      url: `/v1/kb/sessions/${session}/collections`,
      headers: bearer(alice.token),
    });
    expect(list.json().items.map((l: { collection: { name: string } }) => l.collection.name)).toEqual([
      'recipes',
      'team wiki',
    ]);

    const hits = await h.app.inject({
      method: 'GET',
      url: `/v1/kb/sessions/${session}/search?q=pancake`,
      headers: bearer(alice.token),
    });
    expect(hits.json().hits[0].documentName).toBe('pancakes');
    // Gardening is not in the session: not searched.
    const none = await h.app.inject({
      method: 'GET',
      url: `/v1/kb/sessions/${session}/search?q=tomato`,
      headers: bearer(alice.token),
    });
    expect(none.json().hits.map((hit: { documentName: string }) => hit.documentName)).not.toContain(
      'tomatoes',
    );

    const detached = await h.app.inject({
      method: 'DELETE',
      url: `/v1/kb/sessions/${session}/collections/${teamKb}`,
      headers: bearer(alice.token),
    });
    expect(detached.statusCode).toBe(204);
    const again = await h.app.inject({
      method: 'DELETE',
      url: `/v1/kb/sessions/${session}/collections/${teamKb}`,
      headers: bearer(alice.token),
    });
    expect(again.statusCode).toBe(404);
  });

  it("does not let a stranger attach someone's collection, or use their session", async () => {
    const mallorySession = h.sessions.start(mallory.userId);
    expect((await attach(mallory.token, mallorySession, recipes)).statusCode).toBe(404);
    const own = (await createCollection(h, mallory.token)).id;
    expect((await attach(mallory.token, mallorySession, own)).statusCode).toBe(201);
    // Alice's session and a session nobody has answer alike, for every verb, and change nothing.
    const linksBefore = await linksOf(session);
    for (const sessionId of [session, randomUUID()]) {
      for (const [method, url] of [
        ['PUT', `/v1/kb/sessions/${sessionId}/collections/${own}`],
        ['DELETE', `/v1/kb/sessions/${sessionId}/collections/${recipes}`],
        ['GET', `/v1/kb/sessions/${sessionId}/collections`],
        ['GET', `/v1/kb/sessions/${sessionId}/search?q=pancake`],
      ] as const) {
        const res = await h.app.inject({ method, url, headers: bearer(mallory.token) });
        expect(res.statusCode, `${method} ${url}`).toBe(404);
        expect(res.json()).toMatchObject({ code: 'not_found', detail: 'No such session.' });
      }
    }
    expect(await linksOf(session)).toEqual(linksBefore);
  });

  it("repairs a session someone else claimed before its owner was known, on the owner's first use", async () => {
    const bob = await h.tokens.mint();
    const bobsSession = h.sessions.start(bob.userId);
    // As the former rule let her: Mallory linked her own collection to Bob's session first.
    const mallorys = (await createCollection(h, mallory.token)).id;
    await h.admin`insert into knowledge.user_kb_associations (id, session_id, user_id, collection_id)
      values (${randomUUID()}, ${bobsSession}, ${mallory.userId}, ${mallorys})`;
    const bobs = (await createCollection(h, bob.token)).id;
    expect((await attach(bob.token, bobsSession, bobs)).statusCode).toBe(201);
    expect(await linksOf(bobsSession)).toEqual([{ user_id: bob.userId, collection_id: bobs }]);
    const list = await h.app.inject({
      method: 'GET',
      url: `/v1/kb/sessions/${bobsSession}/collections`,
      headers: bearer(bob.token),
    });
    expect(list.json().items.map((l: { collection: { id: string } }) => l.collection.id)).toEqual([bobs]);
  });

  it('answers 503, storing nothing, while conversation cannot say who owns a session', async () => {
    const server = h.sessions.start(alice.userId);
    await h.sessions.pause();
    try {
      const res = await attach(alice.token, server, recipes);
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(await linksOf(server)).toEqual([]);
    } finally {
      await h.sessions.resume();
    }
    expect((await attach(alice.token, server, recipes)).statusCode).toBe(201);
  });
});

const linksOf = (sessionId: string) =>
  h.admin`select user_id, collection_id from knowledge.user_kb_associations
    where session_id = ${sessionId} order by created_at`.then((rows) => [...rows]);

describe('rpc.knowledge.search', () => {
  it("searches a session's collections as the session's user", async () => {
    const answer = await requestRpc(h.bus, knowledgeRpc.search, {
      userId: alice.userId,
      sessionId: session,
      query: 'how do I fry pancakes',
      k: 3,
    });
    expect(answer.hits[0]).toMatchObject({ documentName: 'pancakes', collectionId: recipes });
    expect(answer.hits[0]!.textRank).not.toBeNull();
    expect(answer.hits[0]!.vectorRank).not.toBeNull();
  });

  it("searches a session's collections and named ones in one request, as a turn asks", async () => {
    const answer = await requestRpc(h.bus, knowledgeRpc.search, {
      userId: alice.userId,
      sessionId: session,
      collectionIds: [gardening],
      query: 'pancake batter and tomato seedlings',
      k: 5,
    });
    expect(answer.hits.map((hit) => hit.documentName).sort()).toEqual(['pancakes', 'tomatoes']);
    // A stranger's session, or a named collection the user cannot read, refuses the whole search.
    for (const refused of [
      { userId: mallory.userId, sessionId: session, collectionIds: [gardening] },
      { userId: alice.userId, sessionId: session, collectionIds: [teamKb] },
    ])
      await expect(
        requestRpc(h.bus, knowledgeRpc.search, { ...refused, query: 'pancakes' }),
      ).rejects.toMatchObject({ code: 'not_found' });
  });

  it('searches named collections, with team collections readable through the given team roles', async () => {
    const answer = await requestRpc(h.bus, knowledgeRpc.search, {
      userId: alice.userId,
      teams: { [team]: 'viewer' },
      collectionIds: [gardening, teamKb],
      query: 'what do new colleagues get on day one',
    });
    expect(answer.hits[0]?.documentName).toBe('onboarding');
    await expect(
      requestRpc(h.bus, knowledgeRpc.search, {
        userId: alice.userId,
        collectionIds: [teamKb],
        query: 'laptop',
      }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });

  it('answers not_found for a collection the user cannot read, and bad_request for a bad request', async () => {
    const refused = requestRpc(h.bus, knowledgeRpc.search, {
      userId: mallory.userId,
      collectionIds: [recipes],
      query: 'pancakes',
    });
    await expect(refused).rejects.toBeInstanceOf(RpcError);
    await expect(refused).rejects.toMatchObject({ code: 'not_found' });
    const reply = await h.bus.nc.request(
      h.bus.subject(knowledgeRpc.search.subject),
      JSON.stringify({ userId: 'nope', query: '' }),
    );
    expect(reply.json()).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });
});
