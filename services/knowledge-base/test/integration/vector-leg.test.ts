import { readFile } from 'node:fs/promises';
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

// The vector leg has two storage paths for the documents nearest a question: real[] with an exact
// scan (any Postgres), and pgvector's column with its HNSW index (where the extension is installed,
// as in the compose file's image). Both must find the same documents, and then the same best chunk
// of each; where pgvector is missing, only the first exists.

const NOTES = [
  ['ferries', 'The night ferry to the island leaves the harbour at eleven.'],
  ['trains', 'Trains to the capital leave the central station every hour.'],
  ['bikes', 'Bicycles may be rented by the day at the harbour kiosk.'],
  ['weather', 'Storms in autumn often cancel the ferry crossings.'],
  ['museum', 'The maritime museum shows old ferries and fishing boats.'],
] as const;

/** Another tenant's documents, nearer to the question than any of ours. */
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
  // Written as the owner, straight into the tables: an index that stopped at the nearest documents
  // of the whole table would find only these.
  const crowd = await createCollection(h, (await h.tokens.mint()).token, { name: 'crowd' });
  for (let i = 0; i < CROWD; i++) {
    const text = `when does the ferry leave the harbour ${i}`;
    const [document] = await h.admin`
      insert into knowledge.kb_documents
        (id, collection_id, name, media_type, size_bytes, content_hash, status, created_by, chunk_count, embedding)
      values (gen_random_uuid(), ${crowd.id}, ${`crowd ${i}`}, 'text/plain', 1, ${`crowd ${i}`}, 'indexed',
              gen_random_uuid(), 1, ${embedLocally(text)})
      returning id`;
    await h.admin`
      insert into knowledge.kb_chunks (id, collection_id, document_id, ordinal, content, char_start, char_end, token_count, tsv, embedding)
      values (gen_random_uuid(), ${crowd.id}, ${document!.id}, 0, ${text}, 0, ${text.length}, 8, to_tsvector(${text}),
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
  it('without candidates, finds the nearest documents and ranks them by their best chunk, the same through pgvector (when installed) as by exact scan', async () => {
    const question = 'when does the ferry leave the harbour';
    const vector = embedLocally(question);
    // Each note is one chunk: its document's embedding is its chunk's.
    const chunks = await h.admin<{ id: string; embedding: number[] }[]>`
      select id, embedding from knowledge.kb_chunks where collection_id = ${collectionId}`;
    expect(chunks).toHaveLength(NOTES.length);
    const expected = chunks
      .map((chunk) => ({ id: chunk.id, score: cosine(chunk.embedding, vector) }))
      .sort((a, b) => b.score - a.score);

    const search = (
      pgvector: Pgvector | undefined,
      limit: number,
      exactScanDocuments?: number,
      maxScanTuples?: number,
    ) =>
      withActor(h.deps.db, { userId: user.userId }, async (tx) => {
        await planAsAtScale(tx);
        if (maxScanTuples)
          await tx.execute(sql`select set_config('hnsw.max_scan_tuples', ${String(maxScanTuples)}, true)`);
        return vectorLeg(tx, {
          pgvector,
          vector,
          collectionIds: [collectionId],
          filter: undefined,
          limit,
          exactScanDocuments,
        });
      });
    const exact = await search(undefined, 10);
    expect(exact.map((hit) => hit.id)).toEqual(expected.map((hit) => hit.id));
    for (const [i, hit] of exact.entries()) expect(hit.score).toBeCloseTo(expected[i]!.score, 5);
    // Asked for fewer, it takes the nearest documents.
    expect((await search(undefined, 3)).map((hit) => hit.id)).toEqual(
      expected.slice(0, 3).map((hit) => hit.id),
    );

    const [filled] = await h.admin`
      select count(*)::int as n from knowledge.kb_documents
      where collection_id = ${collectionId} and cardinality(embedding) = ${vector.length}`;
    expect(filled!.n).toBe(NOTES.length);
    const [extension] = await h.admin`select 1 from pg_available_extensions where name = 'vector'`;
    const indexes = await h.admin<{ indexname: string }[]>`
      select indexname from pg_indexes where schemaname = 'knowledge' and indexname like '%hnsw%'`;
    const copies = await h.admin`
      select 1 from information_schema.columns where table_schema = 'knowledge' and column_name = 'embedding_vector'`;
    // The service finds pgvector exactly where the extension can be had; since migration 0017 its
    // index is on the documents' embeddings, and the chunks keep no copy of theirs.
    expect(Boolean(h.deps.pgvector)).toBe(Boolean(extension));
    expect(indexes.map((i) => i.indexname)).toEqual(extension ? ['kb_documents_embedding_hnsw_256'] : []);
    expect(copies).toHaveLength(0);
    if (h.deps.pgvector) {
      // The library's version (what is installed, whatever version the database recorded).
      const [library] = await h.admin<{ version: string }[]>`
        select default_version as version from pg_available_extensions where name = 'vector'`;
      const [major = 0, minor = 0] = library!.version.split('.').map(Number);
      expect(h.deps.pgvector.iterativeScan).toBe(major > 0 || minor >= 8);
      // Migration 0017 built the index at half precision where pgvector has it (0.7+), and the
      // order the leg asks of it is the index's own expression: the planner takes the index.
      expect(h.deps.pgvector.halfPrecisionIndex).toBe(major > 0 || minor >= 7);
      const pgvector = h.deps.pgvector;
      const plan = await withActor(h.deps.db, { userId: user.userId }, async (tx) => {
        await planAsAtScale(tx);
        return tx.execute<{ 'QUERY PLAN': string }>(sql`
          explain select d.id from knowledge.kb_documents d
          where d.collection_id = ${collectionId} and cardinality(d.embedding) = 256
          order by ${hnswOrder(pgvector, vector)} limit 10`);
      });
      expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain(
        'Index Scan using kb_documents_embedding_hnsw_256',
      );
      // As the runtime role (whose search path holds neither `vector` nor `<=>`), under RLS: by
      // comparing every document; through the HNSW index (forced: the collection is small), past
      // the other tenant's nearer documents; with an iterative scan that gives up early (it then
      // compares every document); and with a pgvector that cannot scan iteratively (it never uses
      // the index). Each for all the documents and for the three nearest.
      for (const [pgvector, exactScanDocuments, maxScanTuples] of [
        [h.deps.pgvector, undefined, undefined],
        [h.deps.pgvector, 0, undefined],
        [h.deps.pgvector, 0, 20],
        [{ ...h.deps.pgvector, iterativeScan: false }, 0, undefined],
      ] as const)
        for (const limit of [10, 3]) {
          const viaPgvector = await search(pgvector, limit, exactScanDocuments, maxScanTuples);
          expect(viaPgvector.map((hit) => hit.id)).toEqual(exact.slice(0, limit).map((hit) => hit.id));
          for (const [i, hit] of viaPgvector.entries()) expect(hit.score).toBeCloseTo(exact[i]!.score, 5);
        }
    }
  });

  it('takes the HNSW index with the generic plans a search asks for', async () => {
    const pgvector = h.deps.pgvector;
    if (!pgvector) {
      // Without pgvector there is no index to take: the leg compares every document (tested above).
      expect(await h.admin`select 1 from pg_available_extensions where name = 'vector'`).toHaveLength(0);
      return;
    }
    const indexScans = async () => {
      const [row] = await h.admin<{ scans: number }[]>`
        select idx_scan::int as scans from pg_stat_user_indexes
        where schemaname = 'knowledge' and indexrelname = 'kb_documents_embedding_hnsw_256'`;
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
        exactScanDocuments: 0,
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
    // So does its document: it has no direction, and no question finds it by vector.
    const [own] = await h.admin<{ embedding: number[] }[]>`
      select embedding from knowledge.kb_documents where id = ${document.id}`;
    expect(own!.embedding.every((x) => x === 0)).toBe(true);
    const question = embedLocally('ferry harbour');
    for (const pgvector of [undefined, h.deps.pgvector])
      for (const exactScanDocuments of [undefined, 0]) {
        const nearest = await withActor(h.deps.db, { userId: user.userId }, (tx) =>
          vectorLeg(tx, {
            pgvector,
            vector: question,
            collectionIds: [collectionId],
            filter: undefined,
            limit: 10,
            exactScanDocuments,
          }),
        );
        expect(nearest[0]!.documentId).not.toBe(document.id);
        for (const hit of nearest) expect(Number.isFinite(hit.score)).toBe(true);
      }
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
      for (const exactScanDocuments of [undefined, 0]) {
        const hits = await withActor(h.deps.db, { userId: user.userId }, async (tx) => {
          await planAsAtScale(tx);
          return vectorLeg(tx, {
            pgvector,
            vector,
            collectionIds: [collectionId],
            filter: sql`and d.metadata @> '{"topic":"boats"}'::jsonb`,
            limit: 10,
            exactScanDocuments,
          });
        });
        expect(hits.map((hit) => hit.documentId)).toEqual([ferries!.id]);
      }
  });
  it("gives each document the unit mean of its chunks' embeddings, from the indexer and from migrations 0017 and 0018 alike", async () => {
    const paragraphs = Array.from(
      { length: 40 },
      (_, i) =>
        `Timetable ${i}: the ferry number ${i} leaves the harbour for island ${i % 7} at ${i % 24} o'clock.`,
    );
    const document = await addText(h, user.token, collectionId, {
      name: 'timetables',
      text: paragraphs.join('\n\n'),
    });
    await waitForDocument(h, user.token, collectionId, document.id, ['indexed']);
    const chunks = await h.admin<{ embedding: number[] }[]>`
      select embedding from knowledge.kb_chunks where document_id = ${document.id}`;
    expect(chunks.length).toBeGreaterThan(1);
    const sum = chunks[0]!.embedding.map((_, i) =>
      chunks.reduce((total, chunk) => total + chunk.embedding[i]!, 0),
    );
    const norm = Math.sqrt(sum.reduce((total, x) => total + x * x, 0));
    const expected = sum.map((x) => x / norm);
    const stored = async () =>
      (
        await h.admin<
          { embedding: number[] }[]
        >`select embedding from knowledge.kb_documents where id = ${document.id}`
      )[0]!.embedding;
    const fromIndexer = await stored();
    expect(fromIndexer).toHaveLength(expected.length);
    for (const [i, x] of fromIndexer.entries()) expect(x).toBeCloseTo(expected[i]!, 6);
    // What the migration computed for the documents it found, run again on this one.
    const migration = await readFile(
      new URL('../../drizzle/0017_document_vectors.sql', import.meta.url),
      'utf8',
    );
    const backfill = migration
      .split('--> statement-breakpoint')
      .find((statement) => statement.includes('"sums"'));
    expect(backfill).toBeDefined();
    await h.admin`update knowledge.kb_documents set embedding = null where id = ${document.id}`;
    await h.admin.unsafe(backfill!);
    const fromMigration = await stored();
    for (const [i, x] of fromMigration.entries()) expect(x).toBeCloseTo(expected[i]!, 6);
    // Migration 0018 fills what 0017 could not see where row-level security applies to the
    // migrating role: run here as the service's role (no superuser, no BYPASSRLS), it finds the
    // document only because it sets app.platform_admin first.
    const statements = (
      await readFile(
        new URL('../../drizzle/0018_document_vectors_under_row_security.sql', import.meta.url),
        'utf8',
      )
    ).split('--> statement-breakpoint');
    const asServiceRole = (run: string[]) =>
      h.admin.begin(async (tx) => {
        await tx`set local role knowledge_app`;
        for (const statement of run) await tx.unsafe(statement);
      });
    await h.admin`update knowledge.kb_documents set embedding = null where id = ${document.id}`;
    await asServiceRole(statements.filter((statement) => !statement.includes('app.platform_admin')));
    expect(await stored()).toBeNull();
    await asServiceRole(statements);
    const fromMigration0018 = await stored();
    expect(fromMigration0018).toHaveLength(expected.length);
    for (const [i, x] of fromMigration0018.entries()) expect(x).toBeCloseTo(expected[i]!, 6);
    // Run again, it changes nothing: only documents without an embedding are filled.
    await h.admin`update knowledge.kb_documents set embedding = array_fill(0::real, array[${expected.length}::int]) where id = ${document.id}`;
    await asServiceRole(statements);
    expect((await stored()).every((x) => x === 0)).toBe(true);
    await h.app.inject({
      method: 'DELETE',
      url: `/v1/kb/collections/${collectionId}/documents/${document.id}`,
      headers: bearer(user.token),
    });
  });
});
