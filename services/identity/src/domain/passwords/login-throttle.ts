import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface ThrottleLimits {
  /** Failures for one account from one address per `windowMs`. */
  perAccountAndIp: number;
  /** Failures from one address, whatever the accounts, per `windowMs`. */
  perIp: number;
  windowMs: number;
  /** Failures for one account from anywhere per `accountWindowMs`: the brake on a spread attack. */
  perAccount: number;
  accountWindowMs: number;
}

/** Which counter refused a sign-in (recorded in the account activity). */
export type Brake = 'account_and_address' | 'address' | 'account' | 'device';

export interface Refusal {
  brake: Brake;
  retryAfterMs: number;
}

interface Counter {
  key: string;
  brake: Brake;
  limit: number;
  windowMs: number;
}

/**
 * Counts failed sign-ins in Redis over fixed windows. The tight limit is per account *and*
 * address, so whoever guesses slows only themselves and the owner elsewhere signs in; the per-
 * address limit stops one source trying many accounts; the account-wide brake is much higher and
 * short, so a spread attack is slowed without locking the owner out for long. A known device (one
 * holding a live refresh token of the account) is judged by its own counter alone and so signs in
 * whatever the others say.
 */
export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly limits: ThrottleLimits,
  ) {}

  private counters(email: string, ip: string, deviceSessionId: string | undefined): Counter[] {
    const { perAccountAndIp, perIp, perAccount, windowMs, accountWindowMs } = this.limits;
    if (deviceSessionId)
      return [
        { key: `login-fail:device:${deviceSessionId}`, brake: 'device', limit: perAccountAndIp, windowMs },
      ];
    const account = createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 32);
    return [
      {
        key: `login-fail:acct-ip:${account}:${ip}`,
        brake: 'account_and_address',
        limit: perAccountAndIp,
        windowMs,
      },
      { key: `login-fail:ip:${ip}`, brake: 'address', limit: perIp, windowMs },
      { key: `login-fail:acct:${account}`, brake: 'account', limit: perAccount, windowMs: accountWindowMs },
    ];
  }

  /** The counter at its limit with the longest wait, if any: the sign-in must wait that long. */
  async check(email: string, ip: string, deviceSessionId?: string): Promise<Refusal | undefined> {
    const counters = this.counters(email, ip, deviceSessionId);
    const pipeline = this.redis.pipeline();
    for (const { key } of counters) pipeline.get(key).pttl(key);
    const results = (await pipeline.exec()) ?? [];
    let refusal: Refusal | undefined;
    counters.forEach(({ brake, limit, windowMs }, i) => {
      const count = Number(results[i * 2]?.[1] ?? 0);
      const ttl = Number(results[i * 2 + 1]?.[1] ?? 0);
      const retryAfterMs = ttl > 0 ? ttl : windowMs;
      if (count >= limit && retryAfterMs > (refusal?.retryAfterMs ?? 0)) refusal = { brake, retryAfterMs };
    });
    return refusal;
  }

  async recordFailure(email: string, ip: string, deviceSessionId?: string): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const { key, windowMs } of this.counters(email, ip, deviceSessionId))
      pipeline.incr(key).pexpire(key, windowMs, 'NX');
    await pipeline.exec();
  }

  /** A successful sign-in clears that account's failures from that address (or that device's). */
  async recordSuccess(email: string, ip: string, deviceSessionId?: string): Promise<void> {
    await this.redis.del(this.counters(email, ip, deviceSessionId)[0]!.key);
  }
}
