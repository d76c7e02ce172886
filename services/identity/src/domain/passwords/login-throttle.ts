import { createHash } from 'node:crypto';
import { DomainError } from '@conduit/errors';
import type { Redis } from 'ioredis';

export interface ThrottleLimits {
  perAccountAndIp: number;
  perIp: number;
  perAccount: number;
  windowMs: number;
}

/**
 * Counts failed logins in Redis over a fixed window, three ways. The tight limit is per account
 * *and* IP, so an attacker elsewhere cannot lock the real user out; the per-IP limit stops one
 * source guessing many accounts; the loose per-account limit slows a distributed attack on one
 * account and, like the others, lifts by itself when the window ends.
 */
export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly limits: ThrottleLimits,
  ) {}

  private keys(email: string, ip: string) {
    const account = createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 32);
    return [
      { key: `login-fail:acct-ip:${account}:${ip}`, limit: this.limits.perAccountAndIp },
      { key: `login-fail:ip:${ip}`, limit: this.limits.perIp },
      { key: `login-fail:acct:${account}`, limit: this.limits.perAccount },
    ];
  }

  /** Throws 429 with Retry-After while any of the three counters is at its limit. */
  async assertAllowed(email: string, ip: string): Promise<void> {
    const keys = this.keys(email, ip);
    const pipeline = this.redis.pipeline();
    for (const { key } of keys) pipeline.get(key).pttl(key);
    const results = (await pipeline.exec()) ?? [];
    let retryAfterMs = 0;
    keys.forEach(({ limit }, i) => {
      const count = Number(results[i * 2]?.[1] ?? 0);
      const ttl = Number(results[i * 2 + 1]?.[1] ?? 0);
      if (count >= limit) retryAfterMs = Math.max(retryAfterMs, ttl > 0 ? ttl : this.limits.windowMs);
    });
    if (retryAfterMs > 0) {
      throw new DomainError('rate_limited', 'Too many failed sign-ins; wait before trying again.', {
        retryAfterSeconds: retryAfterMs / 1000,
      });
    }
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const { key } of this.keys(email, ip)) pipeline.incr(key).pexpire(key, this.limits.windowMs, 'NX');
    await pipeline.exec();
  }

  /** A successful login clears that account's failures from that address. */
  async recordSuccess(email: string, ip: string): Promise<void> {
    await this.redis.del(this.keys(email, ip)[0]!.key);
  }
}
