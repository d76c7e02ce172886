import { type Transaction, withActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedLocally } from '../../src/domain/embeddings/local-embedder.js';
import { hnswOrder, type Pgvector, vectorLeg } from '../../src/domain/search/vector-leg.js';
import {
  addText,
  bearer,
  createCollection,
  type KnowledgeHarness,
  startKnowledgeHarness,
  waitForDocument,
} from '../fixtures/knowledge-harness.js';

// The vector leg has two storage paths: real[] with an exact scan (any Postgres), and pgvector's
// column with its HNSW index (where the extension is installed, as in the compose file's image).
// Both must find the same nearest chunks; where pgvector is missing, only the first exists.

const NOTES = [
  ['ferries', 'The night ferry to the island leaves the harbour at eleven.'],
  ['trains', 'Trains to the capital leave the central station every hour.'],
  ['bikes', 'Bicycles may be rented by the day at the harbour kiosk.'],
  ['weather', 'Storms in autumn often cancel the ferry crossings.'],
  ['museum', 'The maritime museum shows old ferries and fishing boats.'],
] as const;

/** Another tenant's chunks, nearer to the question than any of ours. */
const CROWD = 120;

let h: KnowledgeHarness;
let user: { token: string; userId: string };
let collectionId: string;

beforeAll(async () => {
  h = await startKnowledgeHarness();
  user = await h.tokens.mint();
  collectionId = (await createCollection(h, user.token, { name: 'travel' })).id;
  for (const [name, text] of NOTES) {
    const document = await addText(h, user.token, collectionId, { name, text });
    await waitForDocument(h, user.token, collectionId, document.id, ['indexed']);
  }
  // Written as the owner, straight into the tables: an index that stopped at the nearest chunks of
  // the whole table would find only these.
  const crowd = await createCollection(h, (await h.tokens.mint()).token, { name: 'crowd' });
  const [document] = await h.admin`
    insert into knowledge.kb_documents (id, collection_id, name, media_type, size_bytes, content_hash, status, created_by, chunk_count)
    values (gen_random_uuid(), ${crowd.id}, 'crowd', 'text/plain', 1, 'crowd', 'indexed', gen_random_uuid(), ${CROWD})
    returning id`;
  for (let i = 0; i < CROWD; i++) {
    const text = `when does the ferry leave the harbour ${i}`;
    await h.admin`
      insert into knowledge.kb_chunks (id, collection_id, document_id, ordinal, content, char_start, char_end, token_count, tsv, embedding)
      values (gen_random_uuid(), ${crowd.id}, ${document!.id}, ${i}, ${text}, 0, ${text.length}, 8, to_tsvector(${text}),
              ${embedLocally(text)})`;
  }
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

/**
 * A table this small is read and sorted whole whatever the query; at scale the planner takes the
 * HNSW index. Sorting and sequential scans are made dear (for this transaction) so that it takes
 * the index here too when the leg lets it: an exact scan still works, by the collection's index.
 */
const planAsAtScale = (tx: Transaction) =>
  tx.execute(sql`select set_config('enable_seqscan', 'off', true), set_config('enable_sort', 'off', true)`);

const cosine = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);

describe('the vector leg', () => {
  it('ranks chunks by cosine similarity, the same through pgvector (when installed) as by exact scan', async () => {
    const question = 'when does the ferry leave the harbour';
    const vector = embedLocally(question);
    const chunks = await h.admin<{ id: string; embedding: number[] }[]>`
      select id, embedding from knowledge.kb_chunks where collection_id = ${collectionId}`;
    const expected = chunks
      .map((chunk) => ({ id: chunk.id, score: cosine(chunk.embedding, vector) }))
      .sort((a, b) => b.score - a.score);

    const search = (pgvector: Pgvector | undefined, exactScanChunks?: number, maxScanTuples?: number) =>
      withActor(h.deps.db, { userId: user.userId }, async (tx) => {
        await planAsAtScale(tx);
        if (maxScanTuples)
          await tx.execute(sql`select set_config('hnsw.max_scan_tuples', ${String(maxScanTuples)}, true)`);
        return vectorLeg(tx, {
          pgvector,
          vector,
          collectionIds: [collectionId],
          filter: undefined,
          limit: 10,
          exactScanChunks,
        });
      });
    const exact = await search(undefined);
    expect(exact.map((hit) => hit.id)).toEqual(expected.map((hit) => hit.id));
    for (const [i, hit] of exact.entries()) expect(hit.score).toBeCloseTo(expected[i]!.score, 5);

    const [column] = await h.admin`
      select 1 from information_schema.columns
      where table_schema = 'knowledge' and table_name = 'kb_chunks' and column_name = 'embedding_vector'`;
    const [extension] = await h.admin`select 1 from pg_available_extensions where name = 'vector'`;
    // The service finds pgvector exactly where the extension can be had.
    expect(Boolean(h.deps.pgvector)).toBe(Boolean(extension));
    expect(Boolean(column)).toBe(Boolean(extension));
    if (h.deps.pgvector) {
      const [filled] = await h.admin`
        select count(*)::int as n from knowledge.kb_chunks
        where collection_id = ${collectionId} and embedding_vector is not null`;
      expect(filled!.n).toBe(chunks.length);
      // The library's version (what is installed, whatever version the database recorded).
      const [library] = await h.admin<{ version: string }[]>`
        select default_version as version from pg_available_extensions where name = 'vector'`;
      const [major = 0, minor = 0] = library!.version.split('.').map(Number);
      expect(h.deps.pgvector.iterativeScan).toBe(major > 0 || minor >= 8);
      // Migration 0015 rebuilt the index at half precision where pgvector has it (0.7+), and the
      // order the leg asks of it is the index's own expression: the planner takes the index.
      expect(h.deps.pgvector.halfPrecisionIndex).toBe(major > 0 || minor >= 7);
      const pgvector = h.deps.pgvector;
      const plan = await withActor(h.deps.db, { userId: user.userId }, async (tx) => {
        await planAsAtScale(tx);
        return tx.execute<{ 'QUERY PLAN': string }>(sql`
          explain select c.id from knowledge.kb_chunks c
          where c.collection_id = ${collectionId} and ${sql.identifier(pgvector.schema)}.vector_dims(c.embedding_vector) = 256
          order by ${hnswOrder(pgvector, vector)} limit 10`);
      });
      expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain(
        'Index Scan using kb_chunks_embedding_hnsw_256',
      );
      // As the runtime role (whose search path holds neither `vector` nor `<=>`), under RLS: by
      // comparing every chunk; through the HNSW index (forced: the collection is small), past the
      // other tenant's nearer chunks; with an iterative scan that gives up early (it then compares
      // every chunk); and with a pgvector that cannot scan iteratively (it never uses the index).
      for (const [pgvector, exactScanChunks, maxScanTuples] of [
        [h.deps.pgvector, undefined, undefined],
        [h.deps.pgvector, 0, undefined],
        [h.deps.pgvector, 0, 20],
        [{ ...h.deps.pgvector, iterativeScan: false }, 0, undefined],
      ] as const) {
        const viaPgvector = await search(pgvector, exactScanChunks, maxScanTuples);
        expect(viaPgvector.map((hit) => hit.id)).toEqual(exact.map((hit) => hit.id));
        for (const [i, hit] of viaPgvector.entries()) expect(hit.score).toBeCloseTo(exact[i]!.score, 5);
      }
    }
  });

  it('takes the HNSW index with the generic plans a search asks for', async () => {
    const pgvector = h.deps.pgvector;
    if (!pgvector) {
      // Without pgvector there is no index to take: the leg compares every chunk (tested above).
      expect(await h.admin`select 1 from pg_available_extensions where name = 'vector'`).toHaveLength(0);
      return;
    }
    const indexScans = async () => {
      const [row] = await h.admin<{ scans: number }[]>`
        select idx_scan::int as scans from pg_stat_user_indexes
        where schemaname = 'knowledge' and indexrelname = 'kb_chunks_embedding_hnsw_256'`;
      return row!.scans;
    };
    const before = await indexScans();
    const hits = await withActor(h.deps.db, { userId: user.userId }, async (tx) => {
      await planAsAtScale(tx);
      // As searchIn sets it: each prepared statement planned once, without the question's values.
      await tx.execute(sql`select set_config('plan_cache_mode', 'force_generic_plan', true)`);
      const found = await vectorLeg(tx, {
        pgvector,
        vector: embedLocally('when does the ferry leave the harbour'),
        collectionIds: [collectionId],
        filter: undefined,
        limit: 3,
        exactScanChunks: 0,
      });
      // This backend's counts reach the statistics views as the transaction ends.
      await tx.execute(sql`select pg_stat_force_next_flush()`);
      return found;
    });
    expect(hits).toHaveLength(3);
    await expect.poll(indexScans, { timeout: 15_000, interval: 100 }).toBeGreaterThan(before);
  });

  it('answers searches of a collection holding a chunk that embeds to zeros (stop words, digits)', async () => {
    const document = await addText(h, user.token, collectionId, { name: 'x', text: '1 2 3 4 5 6 7 8 9' });
    await waitForDocument(h, user.token, collectionId, document.id, ['indexed']);
    const [zeros] = await h.admin`
      select count(*)::int as n from knowledge.kb_chunks
      where document_id = ${document.id} and embedding = array_fill(0::real, array[cardinality(embedding)])`;
    expect(zeros!.n).toBeGreaterThan(0);
    const res = await h.app.inject({
      method: 'GET',
      url: `/v1/kb/collections/${collectionId}/search?q=${encodeURIComponent('when does the ferry leave')}&k=10`,
      headers: bearer(user.token),
    });
    expect(res.statusCode, res.body).toBe(200);
    const hits = res.json().hits as { documentName: string; vectorScore: number | null }[];
    expect(hits[0]!.documentName).toBe('ferries');
    for (const hit of hits) if (hit.vectorScore !== null) expect(Number.isFinite(hit.vectorScore)).toBe(true);
    await h.app.inject({
      method: 'DELETE',
      url: `/v1/kb/collections/${collectionId}/documents/${document.id}`,
      headers: bearer(user.token),
    });
  });

  it("compares the candidate documents' chunks and returns each document's best chunk, best first", async () => {
    // A document of several chunks, written as the owner: one near the question, two further off.
    const [timetable] = await h.admin<{ id: string }[]>`
      insert into knowledge.kb_documents (id, collection_id, name, media_type, size_bytes, content_hash, status, created_by, chunk_count)
      values (gen_random_uuid(), ${collectionId}, 'timetable', 'text/plain', 1, 'timetable', 'indexed', gen_random_uuid(), 3)
      returning id`;
    const texts = [
      'ticket prices for children',
      'the ferry leaves the harbour at six',
      'opening hours of the kiosk',
    ];
    for (const [i, text] of texts.entries())
      await h.admin`
        insert into knowledge.kb_chunks (id, collection_id, document_id, ordinal, content, char_start, char_end, token_count, tsv, embedding)
        values (gen_random_uuid(), ${collectionId}, ${timetable!.id}, ${i}, ${text}, 0, ${text.length}, 5, to_tsvector(${text}),
                ${embedLocally(text)})`;
    try {
      const vector = embedLocally('when does the ferry leave the harbour');
      const candidates = await h.admin<{ id: string }[]>`
        select id from knowledge.kb_documents where collection_id = ${collectionId} and name in ('timetable', 'trains', 'bikes')`;
      const chunks = await h.admin<{ id: string; document_id: string; embedding: number[] }[]>`
        select id, document_id, embedding from knowledge.kb_chunks
        where document_id in ${h.admin(candidates.map((d) => d.id))}`;
      const best = new Map<string, { id: string; documentId: string; score: number }>();
      for (const chunk of chunks) {
        const score = cosine(chunk.embedding, vector);
        if (score > (best.get(chunk.document_id)?.score ?? Number.NEGATIVE_INFINITY))
          best.set(chunk.document_id, { id: chunk.id, documentId: chunk.document_id, score });
      }
      const expected = [...best.values()].sort((a, b) => b.score - a.score);
      expect(expected).toHaveLength(3);
      for (const pgvector of [undefined, h.deps.pgvector]) {
        const hits = await withActor(h.deps.db, { userId: user.userId }, (tx) =>
          vectorLeg(tx, {
            pgvector,
            vector,
            collectionIds: [collectionId],
            filter: undefined,
            limit: 10,
            documentIds: candidates.map((d) => d.id),
          }),
        );
        expect(hits.map((hit) => [hit.documentId, hit.id])).toEqual(
          expected.map((hit) => [hit.documentId, hit.id]),
        );
        for (const [i, hit] of hits.entries()) expect(hit.score).toBeCloseTo(expected[i]!.score, 5);
      }
    } finally {
      await h.admin`delete from knowledge.kb_chunks where document_id = ${timetable!.id}`;
      await h.admin`delete from knowledge.kb_documents where id = ${timetable!.id}`;
    }
  });

  it('applies the metadata filter on either path', async () => {
    const vector = embedLocally('ferry harbour');
    const [ferries] = await h.admin`
      update knowledge.kb_documents set metadata = '{"topic":"boats"}'
      where collection_id = ${collectionId} and name = 'ferries' returning id`;
    for (const pgvector of [undefined, h.deps.pgvector])
      for (const exactScanChunks of [undefined, 0]) {
        const hits = await withActor(h.deps.db, { userId: user.userId }, async (tx) => {
          await planAsAtScale(tx);
          return vectorLeg(tx, {
            pgvector,
            vector,
            collectionIds: [collectionId],
            filter: sql`and d.metadata @> '{"topic":"boats"}'::jsonb`,
            limit: 10,
            exactScanChunks,
          });
        });
        expect(hits.map((hit) => hit.documentId)).toEqual([ferries!.id]);
      }
  });
});
