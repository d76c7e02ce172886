import type { Redis } from 'ioredis';

/**
 * One sync per account at a time, across worker processes: a Redis lease renewed while the sync
 * runs, so a SIGKILLed worker's lease runs out by itself. A sync asked for while one runs sets
 * `again`, and the running one goes round once more instead of a second one starting beside it.
 * `kind` names the work the lease is for (`sync`, `index`): different kinds run side by side.
 */
export async function withSyncLease(
  redis: Redis,
  accountId: string,
  ttlMs: number,
  run: () => Promise<void>,
  kind: 'sync' | 'index' = 'sync',
): Promise<'ran' | 'deferred'> {
  const key = `${kind}-lease:${accountId}`;
  const again = `${kind}-again:${accountId}`;
  const token = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
    await redis.set(again, '1', 'PX', ttlMs * 4);
    // The holder may have finished between the two commands: take the lease after all if so.
    if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return 'deferred';
  }
  const renew = setInterval(
    () => {
      void redis.pexpire(key, ttlMs).catch(() => {});
    },
    Math.max(1000, Math.floor(ttlMs / 3)),
  );
  renew.unref();
  try {
    // At most a few rounds: new requests during the last one are served by the next poll.
    for (let round = 0; round < 3; round++) {
      await redis.del(again);
      await run();
      if ((await redis.get(again)) === null) break;
    }
  } finally {
    clearInterval(renew);
    // Released only when still ours (a lease that ran out may belong to another worker now).
    await redis.eval(
      "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
      1,
      key,
      token,
    );
  }
  return 'ran';
}
