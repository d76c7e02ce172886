import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MeasuredStream } from './measured-stream.js';
import { checkedKey, newObjectKey } from './object-keys.js';
import { type ByteRange, ObjectNotFoundError, type ObjectStore, type PutOptions } from './object-store.js';

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Objects as files under one directory. A write goes to `incoming/` first and is renamed into place
 * only once complete, so a reader never sees half an object and a failed write leaves nothing.
 */
export function localObjectStore(rootDir: string): ObjectStore {
  const root = resolve(rootDir);
  const incoming = join(root, 'incoming');
  const objects = join(root, 'objects');
  const pathOf = (key: string) => join(objects, checkedKey(key));

  return {
    driver: 'local',
    async put(body: Readable, options: PutOptions = {}) {
      const key = newObjectKey();
      const partial = join(incoming, key.replace('/', '-'));
      await mkdir(incoming, { recursive: true });
      const measured = new MeasuredStream(options.maxBytes);
      try {
        await pipeline(body, measured, createWriteStream(partial, { flags: 'wx' }));
        await mkdir(dirname(pathOf(key)), { recursive: true });
        await rename(partial, pathOf(key));
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
      return { key, sizeBytes: measured.sizeBytes, sha256: measured.sha256() };
    },
    async get(key: string, range?: ByteRange) {
      const path = pathOf(key);
      try {
        await stat(path);
      } catch (error) {
        if (isMissing(error)) throw new ObjectNotFoundError(key);
        throw error;
      }
      return createReadStream(path, range ? { start: range.start, end: range.end } : {});
    },
    async head(key: string) {
      try {
        return { sizeBytes: (await stat(pathOf(key))).size };
      } catch (error) {
        if (isMissing(error) || error instanceof ObjectNotFoundError) return null;
        throw error;
      }
    },
    async delete(key: string) {
      await rm(pathOf(key), { force: true });
    },
  };
}
