import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { connectBus } from '@conduit/bus';
import { startHttp } from '@conduit/runtime';
import { createLogger } from '@conduit/service-kit';
import { startLocalS3Server } from '@conduit/storage/testing';
import {
  createTestDatabase,
  createTokenMint,
  localServices,
  serveUsageStandIn,
  testBusNamespace,
  testRedisPrefix,
} from '@conduit/testing';
import { loadEnv } from '@conduit/workspace/src/env.js';
import { migrationsDir, SCHEMA, workspaceService } from '@conduit/workspace/src/service.js';
import { cleanUpAll, cleanUpOnSignals, deferCleanup } from './harness/cleanup.js';
import { formatNumber, formatRatio, markdownTable, writeResults } from './harness/report.js';
import { numberSetting } from './harness/settings.js';

const MIB = 1024 * 1024;

/** A multipart body of one file, as a browser sends it. */
function multipartBody(bytes: Buffer) {
  const boundary = `----bench${randomUUID()}`;
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** MiB per second of `files` files of `bytes` each, done one after another by `operation`. */
async function throughput(files: Buffer[], operation: (bytes: Buffer, index: number) => Promise<void>) {
  const started = performance.now();
  for (const [index, bytes] of files.entries()) await operation(bytes, index);
  const seconds = (performance.now() - started) / 1000;
  return files.reduce((sum, bytes) => sum + bytes.length, 0) / MIB / seconds;
}

/**
 * Scenario: files through the workspace service (an HTTP upload, multipart, streamed to storage,
 * sniffed and hashed on the way, with its row and usage reservation; then a download of each)
 * against writing and reading the same bytes to and from a file on the same disk straight from
 * this process, in the same run: the ratio is what the service costs over the disk. The service
 * runs in this process on its own database, with identity's usage RPC stood in on the real bus.
 * `BENCH_FILE_MB` (16) and `BENCH_FILES` (8) size it; `BENCH_STORAGE=s3` stores in a local S3
 * server (s3rver) instead of the local disk.
 *
 * `pnpm bench workspace` or `pnpm --filter @conduit/bench exec tsx workspace.ts`
 */
export async function workspaceScenario(): Promise<void> {
  const fileMb = numberSetting('BENCH_FILE_MB', 16);
  const count = numberSetting('BENCH_FILES', 8);
  const driver = process.env.BENCH_STORAGE === 's3' ? 's3' : 'local';
  const scratch = await mkdtemp(join(tmpdir(), 'bench-workspace-'));
  deferCleanup(() => rm(scratch, { recursive: true, force: true }));
  const database = await createTestDatabase([{ schema: SCHEMA, migrationsDir }]);
  deferCleanup(() => database.drop());
  let storage: Record<string, string> = { STORAGE_DRIVER: 'local', STORAGE_DIR: join(scratch, 'service') };
  if (driver === 's3') {
    const s3 = await startLocalS3Server();
    deferCleanup(() => s3.close());
    storage = {
      STORAGE_DRIVER: 's3',
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: s3.bucket,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    };
  }
  const namespace = testBusNamespace();
  const env = loadEnv({
    NODE_ENV: 'test',
    DATABASE_URL: database.adminUrl,
    REDIS_URL: localServices.redisUrl,
    NATS_URL: localServices.natsUrl,
    BUS_NAMESPACE: namespace,
    REDIS_KEY_PREFIX: testRedisPrefix(),
    UPLOAD_LIMIT_BYTES: String(Math.max(fileMb * MIB * 2, 100 * MIB)),
    ...storage,
  });
  const tokens = await createTokenMint([]);
  const http = await startHttp(workspaceService, {
    env,
    log: createLogger({ service: 'bench-workspace', level: 'warn' }),
    overrides: { verifier: tokens.verifier },
  });
  deferCleanup(() => http.close());
  const bus = await connectBus({ servers: localServices.natsUrl, name: 'bench-workspace', namespace });
  deferCleanup(() => bus.close());
  const usage = serveUsageStandIn(bus);
  deferCleanup(() => usage.stop());
  const url = await http.app.listen({ port: 0, host: '127.0.0.1' });
  const { headers } = await tokens.mint();

  const files = Array.from({ length: count }, () => randomBytes(fileMb * MIB));
  const ids: string[] = [];

  const diskWrite = await throughput(files, (bytes, i) =>
    pipeline(Readable.from([bytes]), createWriteStream(join(scratch, `direct-${i}`))),
  );
  const diskRead = await throughput(files, async (_bytes, i) => {
    for await (const _chunk of createReadStream(join(scratch, `direct-${i}`)));
  });
  const upload = await throughput(files, async (bytes) => {
    const { body, contentType } = multipartBody(bytes);
    const res = await fetch(`${url}/v1/media`, {
      method: 'POST',
      headers: { ...headers, 'content-type': contentType },
      body,
    });
    if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
    ids.push(((await res.json()) as { id: string }).id);
  });
  const download = await throughput(files, async (bytes, i) => {
    const res = await fetch(`${url}/v1/media/${ids[i]}/content`, { headers });
    const got = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200 || got.length !== bytes.length) throw new Error(`download answered ${res.status}`);
  });

  const rows = [
    ['write', formatNumber(upload), formatNumber(diskWrite), formatRatio(upload / diskWrite)],
    ['read', formatNumber(download), formatNumber(diskRead), formatRatio(download / diskRead)],
  ];
  console.log(`\nworkspace files (${count} x ${fileMb} MiB, ${driver} storage)\n`);
  console.log(
    markdownTable(['', 'through the service (MiB/s)', 'straight to disk (MiB/s)', 'service / disk'], rows),
  );
  const file = await writeResults('workspace', {
    settings: { fileMb, count, driver },
    mibPerSecond: { upload, download, diskWrite, diskRead },
    ratios: { write: upload / diskWrite, read: download / diskRead },
  });
  console.error(`results: ${file}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  cleanUpOnSignals();
  try {
    await workspaceScenario();
  } finally {
    await cleanUpAll();
  }
}
