import { afterAll, beforeAll, expect, it } from 'vitest';
import { statisticsRefresher } from '../../src/domain/indexing/refresh-statistics.js';
import {
  createCollection,
  type KnowledgeHarness,
  startKnowledgeHarness,
} from '../fixtures/knowledge-harness.js';

// The worker's checks during a bulk load vacuum what the load wrote so far, so that little is left
// to vacuum when it ends, as the tenant's first questions come. The postings here are written as
// the owner, straight into the table: what a load leaves behind, with no worker of its own.

let h: KnowledgeHarness;
beforeAll(async () => {
  h = await startKnowledgeHarness({ worker: false });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const postingsStatistics = async () => {
  const [row] = await h.admin<{ vacuums: number; analyzes: number; inserted: number }[]>`
    select vacuum_count::int as vacuums, analyze_count::int as analyzes, n_ins_since_vacuum::int as inserted
    from pg_stat_user_tables where schemaname = 'knowledge' and relname = 'kb_terms'`;
  return row!;
};

it('vacuums the postings at a check during a load, not only once the load is over, and analyzes them', async () => {
  const user = await h.tokens.mint();
  const collection = await createCollection(h, user.token, { name: 'a load' });
  await h.admin.begin(async (tx) => {
    const [document] = await tx<{ id: string }[]>`
      insert into knowledge.kb_documents (id, collection_id, name, media_type, size_bytes, content_hash, status, created_by, chunk_count)
      values (gen_random_uuid(), ${collection.id}, 'words', 'text/plain', 1, 'words', 'indexed', gen_random_uuid(), 1)
      returning id`;
    await tx`
      insert into knowledge.kb_terms
        (collection_id, lexeme, document_id, name_tf, lead_tf, body_tf, name_terms, lead_terms, body_terms)
      select ${collection.id}, 'word' || i, ${document!.id}, 0, 0, 1, 1, 1, 5000 from generate_series(1, 5000) i`;
    // The counts reach the statistics views as this transaction ends, not up to 10 s later.
    await tx`select pg_stat_force_next_flush()`;
  });
  await expect.poll(async () => (await postingsStatistics()).inserted).toBeGreaterThanOrEqual(5000);
  const before = await postingsStatistics();

  // A batch was indexed and more are coming (afterBatch, not whenIdle): the check vacuums.
  statisticsRefresher(h.deps).afterBatch();
  await expect
    .poll(async () => (await postingsStatistics()).analyzes, { timeout: 20_000, interval: 100 })
    .toBeGreaterThan(before.analyzes);
  const after = await postingsStatistics();
  expect(after.vacuums).toBeGreaterThan(before.vacuums);
  expect(after.inserted).toBe(0);
});
