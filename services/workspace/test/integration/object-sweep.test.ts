import { Readable } from 'node:stream';
import { startWorkerProcess } from '@conduit/runtime';
import { createLogger } from '@conduit/service-kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sweepObjects } from '../../src/domain/media/object-removal.js';
import { workspaceService } from '../../src/service.js';
import { multipart, startWorkspaceHarness, type WorkspaceHarness } from '../fixtures/workspace-harness.js';

let h: WorkspaceHarness;
beforeAll(async () => {
  h = await startWorkspaceHarness({ env: { OBJECT_SWEEP_EVERY: '1s' } });
});
afterAll(() => h?.close());

const pending = async () =>
  (
    await h.admin<
      { storage_key: string; attempts: number }[]
    >`select storage_key, attempts from workspace.object_deletions`
  ).map((row) => row);

it("removes a deleted file's object later when storage refused it at the delete", async () => {
  const user = await h.tokens.mint();
  const upload = multipart({
    name: 'a.bin',
    contentType: 'application/octet-stream',
    bytes: Buffer.from('kept for now'),
  });
  const file = (
    await h.app.inject({
      method: 'POST',
      url: '/v1/media',
      headers: { ...user.headers, ...upload.headers },
      payload: upload.payload,
    })
  ).json();
  const [row] = await h.admin`select storage_key from workspace.media where id = ${file.id}`;
  const key = row!.storage_key as string;

  // Storage is down when the file is deleted: the delete succeeds and the removal waits, recorded.
  const realDelete = h.deps.store.delete;
  h.deps.store.delete = async () => {
    throw new Error('storage unavailable');
  };
  try {
    const deleted = await h.app.inject({
      method: 'DELETE',
      url: `/v1/media/${file.id}`,
      headers: user.headers,
    });
    expect(deleted.statusCode).toBe(204);
  } finally {
    h.deps.store.delete = realDelete;
  }
  expect(await pending()).toEqual([{ storage_key: key, attempts: 1 }]);
  expect(await h.deps.store.head(key)).toEqual({ sizeBytes: 12 });

  // The worker's scheduled sweep removes it.
  const worker = await startWorkerProcess(workspaceService, {
    env: h.env,
    log: createLogger({ service: 'workspace-worker-test', level: 'silent' }),
  });
  try {
    const deadline = Date.now() + 45_000;
    while ((await pending()).length > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
  } finally {
    await worker.close();
  }
  expect(await pending()).toEqual([]);
  expect(await h.deps.store.head(key)).toBeNull();
});

it('sweeps nothing and fails nothing when nothing waits', async () => {
  const before = await h.deps.store.put(Readable.from([Buffer.from('unrelated')]));
  expect(await sweepObjects(h.deps)).toBe(0);
  expect(await h.deps.store.head(before.key)).toEqual({ sizeBytes: 9 });
});
