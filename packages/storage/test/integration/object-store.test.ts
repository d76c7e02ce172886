import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createObjectStore,
  ObjectNotFoundError,
  type ObjectStore,
  ObjectTooLargeError,
} from '../../src/index.js';
import { type LocalS3Server, startLocalS3Server } from '../../src/testing.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A stream that gives `bytes` in small chunks, as a network upload would. */
const chunked = (bytes: Buffer, chunkSize = 64 * 1024) =>
  Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.subarray(at, at + chunkSize);
    })(),
  );

let s3: LocalS3Server;
let localDir: string;
const stores: Record<'local' | 's3', () => ObjectStore> = {
  local: () => createObjectStore({ ...s3.settings, STORAGE_DRIVER: 'local', STORAGE_DIR: localDir }),
  s3: () => createObjectStore(s3.settings),
};

beforeAll(async () => {
  s3 = await startLocalS3Server();
  localDir = await mkdtemp(join(tmpdir(), 'conduit-storage-'));
});
afterAll(async () => {
  await s3?.close();
  if (localDir) await rm(localDir, { recursive: true, force: true });
});

describe.each(['local', 's3'] as const)('the %s driver', (driver) => {
  const store = () => stores[driver]();

  it('streams an object in, with its size and SHA-256, and gives it back whole', async () => {
    // Larger than one S3 part (5 MiB), so the S3 driver's multipart upload has several parts.
    const bytes = randomBytes(11 * 1024 * 1024 + 17);
    const stored = await store().put(chunked(bytes));
    expect(stored.sizeBytes).toBe(bytes.length);
    expect(stored.sha256).toBe(sha256(bytes));
    expect(stored.key).toMatch(/^[0-9a-f]{2}\/[0-9a-f-]{36}$/);
    expect(await store().head(stored.key)).toEqual({ sizeBytes: bytes.length });
    const back = await buffer(await store().get(stored.key));
    expect(back.equals(bytes)).toBe(true);
  });

  it('gives back a byte range, both ends included', async () => {
    const bytes = Buffer.from('0123456789abcdefghij');
    const { key } = await store().put(chunked(bytes, 3));
    expect((await buffer(await store().get(key, { start: 5, end: 9 }))).toString()).toBe('56789');
    expect((await buffer(await store().get(key, { start: 19, end: 19 }))).toString()).toBe('j');
  });

  it('keeps an empty object', async () => {
    const stored = await store().put(Readable.from([]));
    expect(stored).toMatchObject({ sizeBytes: 0, sha256: sha256(Buffer.alloc(0)) });
    expect(await store().head(stored.key)).toEqual({ sizeBytes: 0 });
    expect((await buffer(await store().get(stored.key))).length).toBe(0);
  });

  it('refuses an object over the limit and keeps nothing of it', async () => {
    const before = driver === 'local' ? await listFiles(localDir) : [];
    await expect(store().put(chunked(randomBytes(300_000)), { maxBytes: 100_000 })).rejects.toBeInstanceOf(
      ObjectTooLargeError,
    );
    if (driver === 'local') expect(await listFiles(localDir)).toEqual(before);
  });

  it('deletes an object; deleting it again is not an error', async () => {
    const { key } = await store().put(chunked(Buffer.from('gone soon')));
    await store().delete(key);
    expect(await store().head(key)).toBeNull();
    await expect(store().get(key)).rejects.toBeInstanceOf(ObjectNotFoundError);
    await store().delete(key);
  });

  it('treats a key it never makes (a path out of its root) as unknown', async () => {
    for (const key of ['../../etc/passwd', '/etc/passwd', 'ab/../../x', 'ab/not-a-uuid'])
      await expect(store().get(key)).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(await store().head('../../etc/passwd')).toBeNull();
  });

  it('stops with the error of a stream that fails midway, keeping nothing', async () => {
    const failing = Readable.from(
      (async function* () {
        yield Buffer.from('partial');
        throw new Error('client went away');
      })(),
    );
    await expect(store().put(failing)).rejects.toThrow('client went away');
  });
});

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}
