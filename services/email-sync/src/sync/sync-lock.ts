import type { Redis } from 'ioredis';

/**
 * One sync per account at a time, across worker processes: a Redis lease renewed while the sync
 * runs, so a SIGKILLed worker's lease runs out by itself. A sync asked for while one runs sets
 * `again`, and the running one goes round once more instead of a second one starting beside it.
 * `kind` names the work the lease is for (`sync`, `index`): different kinds run side by side.
 * `requeue` queues the work again: a request that set `again` after the last round's check (or
 * during the last allowed round) finds the lease still held and is deferred, so once the lease is
 * released `again` is read a last time and a set one becomes a new job rather than being lost.
 */
export async function withSyncLease(
  redis: Redis,
  accountId: string,
  ttlMs: number,
  run: () => Promise<void>,
  kind: 'sync' | 'index' = 'sync',
  requeue?: () => Promise<void>,
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
    // At most a few rounds: a request during the last one is queued again once the lease is let go.
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
  // Consumed here (getdel), so it makes one job; a worker that took the lease meanwhile serves
  // it too, and the job then finds nothing or defers to it: one round too many, never one too few.
  if (requeue && (await redis.getdel(again)) !== null) await requeue();
  return 'ran';
}
