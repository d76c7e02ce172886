import { Redis } from 'ioredis';
import { localServices } from './local-services.js';

/** Deletes every key under a test's prefix (queues, rate limits, throttles, locks). */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(localServices.redisUrl);
  try {
    const keys: string[] = [];
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 500 }))
      keys.push(...(batch as string[]));
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
