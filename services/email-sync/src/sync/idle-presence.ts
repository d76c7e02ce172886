import type { Redis } from 'ioredis';

/**
 * What the poll needs to know of IDLE, whichever worker holds it: whether an account's Inbox IDLE
 * connection is live now, and whether all its folders were synced recently. Both are Redis keys
 * that run out by themselves (a killed worker's IDLE is soon not live).
 */
const liveKey = (accountId: string) => `idle-live:${accountId}`;
const fullSyncKey = (accountId: string) => `full-sync-recent:${accountId}`;

/** A live mark outlasts a few refreshes of the IDLE watcher (every 5 s), which renew it. */
export const IDLE_LIVE_TTL_MS = 15_000;

/** Marks (or keeps marked) these accounts' IDLE as live. */
export async function markIdleLive(redis: Redis, accountIds: string[]) {
  if (accountIds.length === 0) return;
  await accountIds
    .reduce((batch, id) => batch.set(liveKey(id), '1', 'PX', IDLE_LIVE_TTL_MS), redis.pipeline())
    .exec();
}

export async function clearIdleLive(redis: Redis, accountId: string) {
  await redis.del(liveKey(accountId));
}

/** All folders of the account were just synced: the mark lasts SYNC_EVERY_WHILE_IDLE. */
export async function markFullSync(redis: Redis, accountId: string, everyWhileIdleMs: number) {
  await redis.set(fullSyncKey(accountId), '1', 'PX', everyWhileIdleMs);
}

/**
 * Which accounts the poll syncs now: every one whose IDLE is not live, and one whose IDLE is live
 * only when its folders were not all synced within SYNC_EVERY_WHILE_IDLE.
 */
export async function accountsDueForPoll(redis: Redis, accountIds: string[]): Promise<string[]> {
  if (accountIds.length === 0) return [];
  const marks = await redis.mget(...accountIds.flatMap((id) => [liveKey(id), fullSyncKey(id)]));
  return accountIds.filter((_, i) => marks[2 * i] === null || marks[2 * i + 1] === null);
}
