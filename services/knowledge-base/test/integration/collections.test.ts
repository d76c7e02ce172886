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
let owner: { token: string; userId: string };

beforeAll(async () => {
  h = await startKnowledgeHarness();
  owner = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

describe('collections', () => {
  it('creates, lists, reads, renames and deletes a collection', async () => {
    const created = await createCollection(h, owner.token, {
      name: 'Handbook',
      description: 'how we work',
      metadata: { lang: 'en' },
    });
    expect(created).toMatchObject({
      name: 'Handbook',
      visibility: 'private',
      teamId: null,
      ownerUserId: owner.userId,
      documentCount: 0,
      settings: {
        chunkSize: 500,
        chunkOverlap: 60,
        textSearchLanguage: 'english',
        embedding: { provider: 'local', model: 'local-hash-256', baseUrl: null, hasApiKey: false },
      },
    });
    const list = await h.app.inject({
      method: 'GET',
      url: '/v1/kb/collections?limit=10',
      headers: bearer(owner.token),
    });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((c: { id: string }) => c.id)).toContain(created.id);

    const renamed = await h.app.inject({
      method: 'PATCH',
      url: `/v1/kb/collections/${created.id}`,
      headers: bearer(owner.token),
      payload: { name: 'Team handbook' },
    });
    expect(renamed.json()).toMatchObject({ name: 'Team handbook', description: 'how we work' });

    const deleted = await h.app.inject({
      method: 'DELETE',
      url: `/v1/kb/collections/${created.id}`,
      headers: bearer(owner.token),
    });
    expect(deleted.statusCode).toBe(204);
    const gone = await h.app.inject({
      method: 'GET',
      url: `/v1/kb/collections/${created.id}`,
      headers: bearer(owner.token),
    });
    expect(gone.statusCode).toBe(404);
  });

  it('pages through collections with a cursor', async () => {
    const user = await h.tokens.mint();
    for (const name of ['a', 'b', 'c']) await createCollection(h, user.token, { name });
    const first = await h.app.inject({
      method: 'GET',
      url: '/v1/kb/collections?limit=2',
      headers: bearer(user.token),
    });
    expect(first.json().items).toHaveLength(2);
    const cursor = first.json().nextCursor;
    expect(cursor).toEqual(expect.any(String));
    const second = await h.app.inject({
      method: 'GET',
      url: `/v1/kb/collections?limit=2&cursor=${cursor}`,
      headers: bearer(user.token),
    });
    expect(second.json()).toMatchObject({ items: [{ name: 'c' }], nextCursor: null });
  });

  it('validates settings: unknown languages and oversized overlaps are 422, bad shapes 400', async () => {
    const bad = await h.app.inject({
      method: 'POST',
      url: '/v1/kb/collections',
      headers: bearer(owner.token),
      payload: { name: 'x', settings: { textSearchLanguage: 'klingon' } },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    const overlap = await h.app.inject({
      method: 'POST',
      url: '/v1/kb/collections',
      headers: bearer(owner.token),
      payload: { name: 'x', settings: { chunkSize: 100, chunkOverlap: 80 } },
    });
    expect(overlap.statusCode).toBe(422);
    const shape = await h.app.inject({
      method: 'POST',
      url: '/v1/kb/collections',
      headers: bearer(owner.token),
      payload: { name: '', bogus: 1 },
    });
    expect(shape.statusCode).toBe(400);
    expect(shape.json().code).toBe('validation_failed');
  });

  it('re-indexes every document when the chunking settings change', async () => {
    const collection = await createCollection(h, owner.token, { name: 'resettle' });
    const words = Array.from({ length: 600 }, (_, i) => `word${i % 50}`).join(' ');
    const doc = await addText(h, owner.token, collection.id, { name: 'long', text: words });
    const first = await waitForDocument(h, owner.token, collection.id, doc.id);
    expect(first).toMatchObject({ status: 'indexed' });
    const res = await h.app.inject({
      method: 'PATCH',
      url: `/v1/kb/collections/${collection.id}/settings`,
      headers: bearer(owner.token),
      payload: { chunkSize: 100, chunkOverlap: 10, textSearchLanguage: 'simple' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ chunkSize: 100, textSearchLanguage: 'simple' });
    await expect
      .poll(async () => (await waitForDocument(h, owner.token, collection.id, doc.id)).chunkCount, {
        timeout: 15_000,
      })
      .toBeGreaterThan(first.chunkCount);
  });
});
