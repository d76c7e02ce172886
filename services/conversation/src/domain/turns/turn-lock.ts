import { uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import type { ConversationDeps } from '../../deps.js';

/** Short, and renewed while the turn runs: a process that dies frees its sessions within it. */
const LEASE_MS = 15_000;

// Only the holder's token may renew or release (a lease that lapsed may be someone else's now).
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

export interface TurnLock {
  release(): Promise<void>;
}

/**
 * One turn at a time in a session, across processes: the message that takes the lease is answered
 * (a suspended dialog resumes once), one that arrives meanwhile is refused before it runs, reserves
 * or stores anything. Take it before reading the session, so the turn starts from the context the
 * previous one stored. storeTurn's turn check stays the backstop if a lease is ever lost.
 * Throws conflict when the session is busy.
 */
export async function lockTurn(deps: ConversationDeps, sessionId: string): Promise<TurnLock> {
  const key = `session-turn:${sessionId}`;
  const token = uuidv7();
  if ((await deps.redis.set(key, token, 'PX', LEASE_MS, 'NX')) !== 'OK')
    throw new DomainError(
      'conflict',
      'The bot is still answering another message in this session; send yours when it has finished.',
    );
  const renewal = setInterval(() => {
    deps.redis.eval(RENEW, 1, key, token, LEASE_MS).catch(() => {});
  }, LEASE_MS / 3);
  renewal.unref();
  return {
    async release() {
      clearInterval(renewal);
      await deps.redis.eval(RELEASE, 1, key, token).catch(() => {});
    },
  };
}

/** Runs `work` holding the session's turn lock; throws conflict when the session is busy. */
export async function withTurnLock<T>(
  deps: ConversationDeps,
  sessionId: string,
  work: () => Promise<T>,
): Promise<T> {
  const lock = await lockTurn(deps, sessionId);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}
