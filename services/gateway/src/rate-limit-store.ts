import type { Redis } from 'ioredis';

/** How often a gateway adds the requests it counted to Redis's shared count, and reads it back. */
export const RATE_LIMIT_SYNC_MS = 100;

// INCRBY with the window's expiry set by whoever starts it: answers the shared count and the
// window's time left in ms.
const ADD = `
  local current = redis.call('INCRBY', KEYS[1], ARGV[1])
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    ttl = tonumber(ARGV[2])
  end
  return {current, ttl}`;

interface Window {
  /** When the window ends (ms since the epoch), as Redis said. */
  until: number;
  /** The shared count Redis answered last. */
  shared: number;
  /** Requests counted here and not yet added to Redis. */
  pending: number;
  windowMs: number;
  /** When Redis last answered the shared count. */
  syncedAt: number;
}

/** A key's count in its window, this request included, and the window's time left in ms. */
export interface Counted {
  current: number;
  ttl: number;
}

type RateLimitRedis = Redis & {
  addToRateLimit(key: string, amount: number, windowMs: number): Promise<[number, number]>;
};

/**
 * Rate-limit windows counted in the process and synced with Redis every RATE_LIMIT_SYNC_MS,
 * instead of one Redis round trip per request. A key's first request of a window in a process
 * asks Redis (which starts the window for every replica); later ones are counted here, on top of
 * the shared count Redis last answered, and added to Redis at the next sync, which answers the
 * new shared count. A request is never judged by a shared count older than two syncs (a key
 * quiet for longer asks Redis again). One gateway alone counts exactly; with replicas, a key may
 * get past its limit by what the other replicas admitted for it in the last two syncs (200 ms).
 */
export class SyncedRateLimitCounts {
  private readonly windows = new Map<string, Window>();
  private readonly timer: NodeJS.Timeout;
  private syncing: Promise<void> = Promise.resolve();
  /** A shared count older than this is asked for again before a request is judged by it. */
  private readonly maxStalenessMs: number;

  constructor(
    private readonly redis: Redis,
    syncEveryMs = RATE_LIMIT_SYNC_MS,
  ) {
    this.maxStalenessMs = 2 * syncEveryMs;
    if (!('addToRateLimit' in redis)) redis.defineCommand('addToRateLimit', { numberOfKeys: 1, lua: ADD });
    this.timer = setInterval(() => void this.sync(), syncEveryMs).unref();
  }

  /**
   * Counts one request of `key`. Answered at once from the counts here, as almost every request
   * is; a promise only when Redis must be asked (a key's first request of a window here, or one
   * quiet for longer than two syncs).
   */
  count(key: string, windowMs: number): Counted | Promise<Counted> {
    const now = Date.now();
    const window = this.windows.get(key);
    const live = window && window.until > now ? window : undefined;
    if (live && now - live.syncedAt <= this.maxStalenessMs) {
      live.pending += 1;
      return { current: live.shared + live.pending, ttl: live.until - now };
    }
    return this.countInRedis(key, windowMs, live);
  }

  /** No window here yet, or its shared count is too old to judge by: asks Redis, taking along what was counted here. */
  private async countInRedis(key: string, windowMs: number, live: Window | undefined): Promise<Counted> {
    const carried = live?.pending ?? 0;
    if (live) live.pending = 0;
    const [current, ttl] = await (this.redis as RateLimitRedis).addToRateLimit(key, carried + 1, windowMs);
    const answeredAt = Date.now();
    const opened = this.windows.get(key);
    if (opened && opened.until > answeredAt) {
      // Still open here (or opened meanwhile by a request that asked at the same time).
      opened.shared = Math.max(opened.shared, current);
      opened.syncedAt = answeredAt;
      return { current: opened.shared + opened.pending, ttl };
    }
    this.windows.set(key, {
      until: answeredAt + ttl,
      shared: current,
      pending: 0,
      windowMs,
      syncedAt: answeredAt,
    });
    return { current, ttl };
  }

  /** Adds what was counted here to Redis and takes its shared counts back; forgets ended windows. */
  sync(): Promise<void> {
    this.syncing = this.syncing.then(async () => {
      const now = Date.now();
      const sends: Promise<void>[] = [];
      for (const [key, window] of this.windows) {
        if (window.until <= now) {
          // Requests counted in a window that has ended belong to no window still open.
          this.windows.delete(key);
          continue;
        }
        if (window.pending === 0) continue;
        const amount = window.pending;
        window.pending = 0;
        sends.push(
          (this.redis as RateLimitRedis).addToRateLimit(key, amount, window.windowMs).then(
            ([current, ttl]) => {
              window.shared = Math.max(window.shared, current);
              window.syncedAt = Date.now();
              window.until = window.syncedAt + ttl;
            },
            // Redis down: count them again next time (limits are lenient meanwhile, as skipOnError).
            () => {
              window.pending += amount;
            },
          ),
        );
      }
      await Promise.all(sends);
    });
    return this.syncing;
  }

  /** Sends what is still counted here and stops syncing. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sync();
  }
}
