/// <reference path="./s3rver.d.ts" />
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { StorageSettings } from './storage-env.js';

export interface LocalS3Server {
  /** The settings of the S3 driver pointed at this server's bucket. */
  settings: StorageSettings;
  endpoint: string;
  bucket: string;
  close(): Promise<void>;
}

/**
 * A real S3 server (s3rver: the S3 REST protocol with signature checks, multipart uploads and
 * ranges) on a free local port with one empty bucket, for tests of the S3 driver. Its data lives
 * in a temporary directory removed on close.
 */
export async function startLocalS3Server(bucket = 'conduit-test'): Promise<LocalS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'conduit-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    bucket,
    settings: {
      STORAGE_DRIVER: 's3',
      STORAGE_DIR: directory,
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_REGION: 'us-east-1',
      // s3rver checks signatures against this fixed pair.
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: true,
    },
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
