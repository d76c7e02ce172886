import { deleteRedisKeys, localServices, testRedisPrefix } from '@conduit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncedRateLimitCounts } from '../../src/rate-limit-store.js';

// Two gateways (replicas) on one Redis, each with its own connection and counts.
const prefix = testRedisPrefix();
const connections: Redis[] = [];
const replicas: SyncedRateLimitCounts[] = [];
const SYNC_MS = 50;

beforeAll(() => {
  for (let i = 0; i < 2; i++) {
    const redis = new Redis(localServices.redisUrl, { keyPrefix: prefix });
    connections.push(redis);
    replicas.push(new SyncedRateLimitCounts(redis, SYNC_MS));
  }
});
afterAll(async () => {
  for (const replica of replicas) await replica.close();
  for (const redis of connections) redis.disconnect();
  await deleteRedisKeys(prefix);
});

const counts = async (replica: SyncedRateLimitCounts, key: string, times: number, windowMs = 60_000) => {
  const seen: number[] = [];
  for (let i = 0; i < times; i++) seen.push((await replica.count(key, windowMs)).current);
  return seen;
};

describe('rate-limit counts synced with Redis', () => {
  it('count one gateway exactly, within the window Redis started', async () => {
    const [a] = replicas;
    const first = await a!.count('alone', 60_000);
    expect(first.current).toBe(1);
    expect(first.ttl).toBeGreaterThan(59_000);
    expect(first.ttl).toBeLessThanOrEqual(60_000);
    expect(await counts(a!, 'alone', 4)).toEqual([2, 3, 4, 5]);
  });

  it("add every replica's requests up in Redis, each seeing the others' at most one sync late", async () => {
    const [a, b] = replicas;
    expect(await counts(a!, 'shared', 3)).toEqual([1, 2, 3]);
    await a!.sync();
    // B's first request of the window asks Redis, which holds A's three.
    expect(await counts(b!, 'shared', 2)).toEqual([4, 5]);
    // Before a sync, A does not know of B's two yet: the stated tolerance.
    expect(await counts(a!, 'shared', 1)).toEqual([4]);
    await Promise.all([a!.sync(), b!.sync()]);
    expect(await connections[0]!.get('shared')).toBe('6');
    await new Promise((resolve) => setTimeout(resolve, SYNC_MS * 3));
    // After the timer's syncs both see all six.
    expect((await a!.count('shared', 60_000)).current).toBe(7);
    expect((await b!.count('shared', 60_000)).current).toBe(8);
  });

  it('start over when the window ends', async () => {
    const [a] = replicas;
    expect(await counts(a!, 'short', 3, 200)).toEqual([1, 2, 3]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await counts(a!, 'short', 2, 200)).toEqual([1, 2]);
  });

  it('send what was counted to Redis when the gateway closes', async () => {
    const redis = new Redis(localServices.redisUrl, { keyPrefix: prefix });
    const closing = new SyncedRateLimitCounts(redis, 60_000);
    await counts(closing, 'closing', 4);
    expect(await redis.get('closing')).toBe('1');
    await closing.close();
    expect(await redis.get('closing')).toBe('4');
    redis.disconnect();
  });
});
