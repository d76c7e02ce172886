import { DomainError } from '@conduit/errors';
import argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../src/domain/passwords/password-hasher.js';

/**
 * The cheapest parameters argon2 takes (1 MiB, 2 passes), so the tier stays fast: what these tests
 * check (the configured cost, the decoy, the bounds) does not depend on the cost. The production
 * floor (19 MiB, 2 passes) is env.ts's to enforce.
 */
const CHEAP = { memoryKib: 1024, iterations: 2, parallelism: 1 };

describe('PasswordHasher', () => {
  describe('happy', () => {
    it('hashes with argon2id at the configured cost, and verifies', async () => {
      const hasher = new PasswordHasher({ ...CHEAP, concurrency: 2, queueLimit: 10 });
      const hash = await hasher.hash('correct horse battery staple');
      expect(hash).toMatch(/^\$argon2id\$v=19\$m=1024,p=1,t=2\$/);
      expect(await hasher.verify(hash, 'correct horse battery staple')).toBe(true);
      expect(await hasher.verify(hash, 'Correct horse battery staple')).toBe(false);
      expect(hasher.needsRehash(hash)).toBe(false);
    });

    it('asks for a rehash of a hash made at a lower cost', async () => {
      const hasher = new PasswordHasher({ ...CHEAP, concurrency: 1, queueLimit: 1 });
      const weaker = await argon2.hash('old password', {
        type: argon2.argon2id,
        memoryCost: 1024,
        timeCost: 1,
      });
      expect(hasher.needsRehash(weaker)).toBe(true);
    });

    it('verifies an unknown account against a decoy: always false, never an error', async () => {
      const hasher = new PasswordHasher({ ...CHEAP, concurrency: 1, queueLimit: 1 });
      expect(await hasher.verify(null, 'decoy password that matches nothing')).toBe(false);
      expect(await hasher.verify(null, 'anything')).toBe(false);
      expect(await hasher.verify('not an argon2 hash', 'anything')).toBe(false);
    });
  });

  describe('error: bounded concurrency', () => {
    it('runs one hash, queues one, and refuses the rest with unavailable (503), then recovers', async () => {
      const hasher = new PasswordHasher({ ...CHEAP, concurrency: 1, queueLimit: 1 });
      const attempts = Array.from({ length: 5 }, (_, i) => hasher.hash(`password number ${i}`));
      const results = await Promise.allSettled(attempts);

      const fulfilled = results.filter((r): r is PromiseFulfilledResult<string> => r.status === 'fulfilled');
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(fulfilled).toHaveLength(2);
      expect(rejected).toHaveLength(3);
      // The first caller runs, the second waits; the excess is refused at once, not queued forever.
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'rejected',
        'rejected',
      ]);
      for (const { reason } of rejected) {
        expect(reason).toBeInstanceOf(DomainError);
        expect(reason).toMatchObject({ code: 'unavailable', extra: { retryAfterSeconds: 1 } });
      }
      expect(await argon2.verify(fulfilled[0]!.value, 'password number 0')).toBe(true);
      expect(await argon2.verify(fulfilled[1]!.value, 'password number 1')).toBe(true);

      // The slots are released: the next burst gets the same treatment, not a permanent refusal.
      const again = await Promise.allSettled([hasher.hash('a'), hasher.hash('b'), hasher.hash('c')]);
      expect(again.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    });

    it('bounds verification the same way, so a login flood cannot exhaust memory', async () => {
      const hasher = new PasswordHasher({ ...CHEAP, concurrency: 1, queueLimit: 1 });
      const hash = await hasher.hash('the real password');
      const results = await Promise.allSettled(
        Array.from({ length: 4 }, () => hasher.verify(hash, 'the real password')),
      );
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
      expect(results.slice(0, 2).map((r) => (r as PromiseFulfilledResult<boolean>).value)).toEqual([
        true,
        true,
      ]);
      expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'unavailable' });
    });

    it('never runs more hashes at once than its concurrency', async () => {
      const hasher = new PasswordHasher({ ...CHEAP, concurrency: 2, queueLimit: 20 });
      const original = argon2.hash;
      let running = 0;
      let peak = 0;
      const spy = async (...args: Parameters<typeof argon2.hash>) => {
        running++;
        peak = Math.max(peak, running);
        try {
          return await original(...args);
        } finally {
          running--;
        }
      };
      (argon2 as { hash: unknown }).hash = spy;
      try {
        const hashes = await Promise.all(Array.from({ length: 8 }, (_, i) => hasher.hash(`password ${i}`)));
        expect(hashes).toHaveLength(8);
        expect(peak).toBe(2);
      } finally {
        (argon2 as { hash: unknown }).hash = original;
      }
    });
  });
});
