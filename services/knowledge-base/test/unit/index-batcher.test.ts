import { describe, expect, it } from 'vitest';
import type { IndexJob, IndexResult } from '../../src/domain/indexing/index-documents.js';
import { createIndexBatcher } from '../../src/jobs/processors/index-batcher.js';

const job = (n: number): IndexJob => ({ documentId: `doc-${n}`, revision: 1, lastAttempt: false });
/** Lets the batcher's scheduled work run (it starts batches on the next turn of the event loop). */
const turns = async () => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A batcher whose batches end when the test says; it records the documents of each batch. */
function batcherWithHeldBatches(documents: number) {
  const started: string[][] = [];
  const finish: (() => void)[] = [];
  const batcher = createIndexBatcher({
    documents,
    batches: 2,
    index: (jobs) =>
      new Promise<IndexResult[]>((resolve) => {
        started.push(jobs.map((j) => j.documentId));
        finish.push(() => resolve(jobs.map(() => 'indexed')));
      }),
  });
  return { batcher, started, finish };
}

describe('createIndexBatcher', () => {
  it('indexes a lone upload at once', async () => {
    const { batcher, started, finish } = batcherWithHeldBatches(4);
    const result = batcher.submit(job(1));
    await turns();
    expect(started).toEqual([['doc-1']]);
    finish[0]!();
    expect(await result).toBe('indexed');
  });

  it('gathers the uploads that come while a batch runs into the next batch', async () => {
    const { batcher, started, finish } = batcherWithHeldBatches(4);
    const results = [batcher.submit(job(1))];
    await turns();
    for (const n of [2, 3]) {
      results.push(batcher.submit(job(n)));
      await turns();
    }
    expect(started).toEqual([['doc-1']]);
    finish[0]!();
    await results[0];
    await turns();
    expect(started).toEqual([['doc-1'], ['doc-2', 'doc-3']]);
    finish[1]!();
    expect(await Promise.all(results)).toEqual(['indexed', 'indexed', 'indexed']);
  });

  it('starts a full batch beside a running one', async () => {
    const { batcher, started, finish } = batcherWithHeldBatches(2);
    const results = [batcher.submit(job(1))];
    await turns();
    results.push(batcher.submit(job(2)), batcher.submit(job(3)), batcher.submit(job(4)));
    await turns();
    expect(started).toEqual([['doc-1'], ['doc-2', 'doc-3']]);
    for (const end of finish.splice(0)) end();
    await Promise.all(results.slice(0, 3));
    await turns();
    expect(started.at(-1)).toEqual(['doc-4']);
    finish.at(-1)!();
    expect(await Promise.all(results)).toEqual(['indexed', 'indexed', 'indexed', 'indexed']);
  });
});
