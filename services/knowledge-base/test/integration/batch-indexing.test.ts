import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addText,
  bearer,
  createCollection,
  type KnowledgeHarness,
  startKnowledgeHarness,
  waitForDocument,
} from '../fixtures/knowledge-harness.js';

// The worker indexes the documents waiting at once in batches (a few transactions per batch), and
// keeps each collection's BM25F statistics (kb_collection_stats) in step with its documents.

let h: KnowledgeHarness;
let user: { token: string; userId: string };

beforeAll(async () => {
  h = await startKnowledgeHarness();
  user = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

const page = (i: number) =>
  `TOOL${i}\n\nNAME\n    tool${i} - does thing number ${i}\n\nDESCRIPTION\n` +
  `${'The tool reads its input and writes its output. '.repeat(40 + i)}\n`;

/** The collection's kept statistics, and the same figures counted from its documents. */
async function statistics(collectionId: string) {
  const [kept] = await h.admin`
    select documents::int, name_terms::int, lead_terms::int, body_terms::int
    from knowledge.kb_collection_stats where collection_id = ${collectionId}`;
  const [counted] = await h.admin`
    select count(*)::int as documents, coalesce(sum(name_terms), 0)::int as name_terms,
           coalesce(sum(lead_terms), 0)::int as lead_terms, coalesce(sum(body_terms), 0)::int as body_terms
    from knowledge.kb_documents where collection_id = ${collectionId} and chunk_count > 0`;
  return { kept, counted };
}

describe('documents added together', () => {
  it('are each indexed with their own chunks and event, and a corrupt one fails alone', async () => {
    const collection = await createCollection(h, user.token, { name: 'batch' });
    const good = [];
    for (let i = 0; i < 12; i++)
      good.push(await addText(h, user.token, collection.id, { name: `tool${i}(1)`, text: page(i) }));
    const broken = await addText(h, user.token, collection.id, {
      name: 'broken.json',
      text: '{"not": json',
      mediaType: 'application/json',
    });
    const states = await Promise.all(
      good.map((document) => waitForDocument(h, user.token, collection.id, document.id)),
    );
    expect(states.map((s) => s.status)).toEqual(good.map(() => 'indexed'));
    expect((await waitForDocument(h, user.token, collection.id, broken.id)).status).toBe('failed');

    const rows = await h.admin<{ id: string; chunk_count: number; chunks: number; terms: number }[]>`
      select d.id, d.chunk_count,
             (select count(*)::int from knowledge.kb_chunks c where c.document_id = d.id) as chunks,
             (select count(*)::int from knowledge.kb_terms t where t.document_id = d.id) as terms
      from knowledge.kb_documents d where d.collection_id = ${collection.id} and d.status = 'indexed'`;
    expect(rows).toHaveLength(12);
    for (const row of rows) {
      expect(row.chunks).toBe(row.chunk_count);
      expect(row.chunks).toBeGreaterThan(0);
      expect(row.terms).toBeGreaterThan(0);
    }
    const [events] = await h.admin<{ indexed: number; failed: number }[]>`
      select count(*) filter (where payload->'data'->>'collectionId' = ${collection.id}
                              and subject like '%document.indexed')::int as indexed,
             count(*) filter (where payload->'data'->>'collectionId' = ${collection.id}
                              and subject like '%document.failed')::int as failed
      from knowledge.outbox`;
    expect(events).toEqual({ indexed: 12, failed: 1 });

    const res = await h.app.inject({
      method: 'GET',
      url: `/v1/kb/collections/${collection.id}/search?q=${encodeURIComponent('tool7 does thing number 7')}&k=3`,
      headers: bearer(user.token),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().hits[0].documentName).toBe('tool7(1)');
  }, 60_000);
});

describe('collection statistics', () => {
  it('follow documents as they are indexed, re-indexed and deleted, and go with their collection', async () => {
    const collection = await createCollection(h, user.token, { name: 'stats' });
    const documents = [];
    for (let i = 0; i < 4; i++) {
      const document = await addText(h, user.token, collection.id, { name: `tool${i}(8)`, text: page(i) });
      await waitForDocument(h, user.token, collection.id, document.id);
      documents.push(document);
    }
    let { kept, counted } = await statistics(collection.id);
    expect(kept).toEqual(counted);
    expect(counted!.documents).toBe(4);

    const reindex = await h.app.inject({
      method: 'POST',
      url: `/v1/kb/collections/${collection.id}/documents/${documents[0]!.id}/reindex`,
      headers: bearer(user.token),
    });
    expect(reindex.statusCode).toBe(202);
    await waitForDocument(h, user.token, collection.id, documents[0]!.id);
    const removed = await h.app.inject({
      method: 'DELETE',
      url: `/v1/kb/collections/${collection.id}/documents/${documents[1]!.id}`,
      headers: bearer(user.token),
    });
    expect(removed.statusCode).toBe(204);
    // A deleted document's postings go with it (a trigger on kb_documents, migration 0012).
    expect(
      await h.admin`select 1 from knowledge.kb_terms where document_id = ${documents[1]!.id}`,
    ).toHaveLength(0);
    ({ kept, counted } = await statistics(collection.id));
    expect(kept).toEqual(counted);
    expect(counted!.documents).toBe(3);

    const gone = await h.app.inject({
      method: 'DELETE',
      url: `/v1/kb/collections/${collection.id}`,
      headers: bearer(user.token),
    });
    expect(gone.statusCode).toBe(204);
    expect(
      await h.admin`select 1 from knowledge.kb_collection_stats where collection_id = ${collection.id}`,
    ).toHaveLength(0);
    // Chunks go through their documents' key, postings through the documents' delete trigger.
    const [left] = await h.admin<{ chunks: number; terms: number }[]>`
      select (select count(*)::int from knowledge.kb_chunks where collection_id = ${collection.id}) as chunks,
             (select count(*)::int from knowledge.kb_terms where collection_id = ${collection.id}) as terms`;
    expect(left).toEqual({ chunks: 0, terms: 0 });
  }, 60_000);

  it('are not the runtime role to write', async () => {
    const collection = await createCollection(h, user.token, { name: 'untouchable' });
    await expect(
      h.deps.db.execute(
        // The runtime role's own connection: only the triggers (as the tables' owner) write here.
        sql`update knowledge.kb_collection_stats set documents = 1000
          where collection_id = ${collection.id}`,
      ),
    ).rejects.toMatchObject({ cause: { code: '42501' } }); // insufficient_privilege
  });
});
