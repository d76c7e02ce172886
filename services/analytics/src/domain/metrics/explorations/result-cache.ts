import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ExplorationResult } from './exploration-result.js';

/**
 * Answers of metrics queries, kept briefly in Redis. The key is a hash of everything the answer
 * depends on: the team, the schema and its version, the source and its settings' version, the
 * compiled statement and its parameters (a relative range is resolved into them, so "today"
 * changes key at midnight) and, for the built-in source, whose rows row-level security shows.
 */
export function resultCacheKey(parts: Record<string, unknown>): string {
  return `metrics:result:${createHash('sha256').update(JSON.stringify(parts)).digest('base64url')}`;
}

export async function cachedResult(redis: Redis, key: string): Promise<ExplorationResult | undefined> {
  const text = await redis.get(key).catch(() => null);
  return text ? (JSON.parse(text) as ExplorationResult) : undefined;
}

export async function cacheResult(redis: Redis, key: string, result: ExplorationResult, ttlMs: number) {
  if (ttlMs <= 0) return;
  // A cache that cannot be written only costs the next caller a query.
  await redis.set(key, JSON.stringify(result), 'PX', ttlMs).catch(() => {});
}
