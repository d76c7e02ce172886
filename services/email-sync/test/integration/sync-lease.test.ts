import { deleteRedisKeys, localServices, testRedisPrefix } from '@conduit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSyncLease } from '../../src/sync/sync-lock.js';

// The account's lease on the machine's Redis, two workers as two clients. A request that finds
// the lease held sets `again` and is deferred; the holder must serve it, by one more round or,
// once it has let the lease go, by queueing the work again.
const prefix = testRedisPrefix();
let one: Redis;
let two: Redis;

beforeAll(() => {
  one = new Redis(localServices.redisUrl, { keyPrefix: prefix });
  two = new Redis(localServices.redisUrl, { keyPrefix: prefix });
});
afterAll(async () => {
  one?.disconnect();
  two?.disconnect();
  await deleteRedisKeys(prefix);
});

const TTL = 10_000;

describe('the sync lease', () => {
  it('goes round again for a request during a round, and queues one arriving during its last', async () => {
    let rounds = 0;
    let requeued = 0;
    const deferred: string[] = [];
    const outcome = await withSyncLease(
      one,
      'acct-a',
      TTL,
      async () => {
        rounds++;
        deferred.push(await withSyncLease(two, 'acct-a', TTL, async () => {}));
      },
      'sync',
      async () => {
        requeued++;
      },
    );
    expect(outcome).toBe('ran');
    // At most three rounds: the request during the third is queued, not lost.
    expect(rounds).toBe(3);
    expect(deferred).toEqual(['deferred', 'deferred', 'deferred']);
    expect(requeued).toBe(1);
    expect(await one.get('sync-again:acct-a')).toBeNull();
    expect(await one.get('sync-lease:acct-a')).toBeNull();
  });

  it('queues a request that landed after the last check but before the lease was let go', async () => {
    let requeued = 0;
    let requested: string | undefined;
    // The other worker's request comes exactly in that window: when the holder releases its lease.
    const holder = new Proxy(one, {
      get(target, property, receiver) {
        if (property === 'eval')
          return async (...args: Parameters<Redis['eval']>) => {
            requested = await withSyncLease(two, 'acct-b', TTL, async () => {}, 'index');
            return target.eval(...args);
          };
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await withSyncLease(
      holder,
      'acct-b',
      TTL,
      async () => {},
      'index',
      async () => {
        requeued++;
      },
    );
    expect(requested).toBe('deferred');
    expect(requeued).toBe(1);
  });

  it('queues nothing when no request came', async () => {
    let requeued = 0;
    expect(
      await withSyncLease(
        one,
        'acct-c',
        TTL,
        async () => {},
        'sync',
        async () => {
          requeued++;
        },
      ),
    ).toBe('ran');
    expect(requeued).toBe(0);
  });
});
