import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addText,
  createCollection,
  type KnowledgeHarness,
  startKnowledgeHarness,
  waitForDocument,
} from '../fixtures/knowledge-harness.js';
import { readManPages } from '../fixtures/manpages.js';

// The indexing worker runs as its own process (src/worker.ts), as in production; the test kills
// it with SIGKILL in the middle of a job and starts another one.
const serviceDir = fileURLToPath(new URL('../..', import.meta.url));
const children: ChildProcess[] = [];

let h: KnowledgeHarness;
let user: { token: string; userId: string };

function startWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: serviceDir,
    env: { ...process.env, ...h.childEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    if (process.env.TEST_LOG_LEVEL) process.stderr.write(chunk);
  });
  children.push(child);
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
  );

beforeAll(async () => {
  // Locks are short so that the second worker takes the dead one's job over within seconds.
  h = await startKnowledgeHarness({
    worker: false,
    env: { JOB_LOCK_DURATION: '2s', JOB_STALLED_INTERVAL: '1s' },
  });
  user = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(children.map(exited));
  await h?.close();
}, 30_000);

describe('a worker killed mid-job', () => {
  it('leaves the job to another worker, which indexes the document with exactly one set of chunks', async () => {
    const collection = await createCollection(h, user.token, { name: 'crash' });
    // About two megabytes of manual pages: thousands of chunks, seconds of indexing, so the kill
    // 300 ms in lands mid-job (asserted below: nothing stored yet).
    const pages = await readManPages();
    const text = pages.map((page) => page.text).join('\n\n');
    const document = await addText(h, user.token, collection.id, { name: 'many pages', text });

    const first = startWorker();
    const indexing = await waitForDocument(
      h,
      user.token,
      collection.id,
      document.id,
      ['indexing', 'indexed', 'failed'],
      60_000,
    );
    expect(indexing.status).toBe('indexing');
    await new Promise((resolve) => setTimeout(resolve, 300));
    first.kill('SIGKILL');
    await exited(first);

    const [killed] =
      await h.admin`select status, attempts, chunk_count from knowledge.kb_documents where id = ${document.id}`;
    // The first attempt was really cut short: nothing was stored.
    expect(killed).toMatchObject({ status: 'indexing', attempts: 1, chunk_count: 0 });
    const [none] =
      await h.admin`select count(*)::int as n from knowledge.kb_chunks where document_id = ${document.id}`;
    expect(none!.n).toBe(0);

    const second = startWorker();
    const done = await waitForDocument(
      h,
      user.token,
      collection.id,
      document.id,
      ['indexed', 'failed'],
      90_000,
    );
    expect(done).toMatchObject({ status: 'indexed', attempts: 2, error: null });
    const [chunks] = await h.admin`
      select count(*)::int as n, count(distinct ordinal)::int as ordinals, min(ordinal)::int as first, max(ordinal)::int as last
      from knowledge.kb_chunks where document_id = ${document.id}`;
    expect(chunks).toEqual({
      n: done.chunkCount,
      ordinals: done.chunkCount,
      first: 0,
      last: done.chunkCount - 1,
    });
    expect(done.chunkCount).toBeGreaterThan(300);
    const [events] = await h.admin`
      select count(*)::int as n from knowledge.outbox
      where subject = 'knowledge.document.indexed' and payload->'data'->>'documentId' = ${document.id}`;
    expect(events!.n).toBe(1);

    second.kill('SIGTERM');
    await exited(second);
    expect(second.exitCode).toBe(0);
  }, 150_000);
});
