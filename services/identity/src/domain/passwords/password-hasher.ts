import { DomainError } from '@conduit/errors';
import argon2 from 'argon2';

export interface HasherOptions {
  memoryKib: number;
  iterations: number;
  parallelism: number;
  /** Hashes computed at once: each holds `memoryKib`, so this bounds the memory a login flood can take. */
  concurrency: number;
  /** Callers allowed to wait for a slot; beyond that the request is refused with 503. */
  queueLimit: number;
}

/** argon2id with bounded concurrency and a bounded queue. */
export class PasswordHasher {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** A real hash to verify against when the account does not exist, so both paths cost the same. */
  private readonly decoy: Promise<string>;

  constructor(private readonly options: HasherOptions) {
    this.decoy = argon2.hash('decoy password that matches nothing', this.argonOptions());
  }

  hash(password: string): Promise<string> {
    return this.bounded(() => argon2.hash(password, this.argonOptions()));
  }

  /** Verifies against `hash`, or against the decoy when there is no account (always false then). */
  async verify(hash: string | null, password: string): Promise<boolean> {
    const target = hash ?? (await this.decoy);
    const ok = await this.bounded(() => argon2.verify(target, password).catch(() => false));
    return hash !== null && ok;
  }

  /** True when `hash` was made with other parameters; every one must be given (argon2's defaults differ). */
  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, {
      memoryCost: this.options.memoryKib,
      timeCost: this.options.iterations,
      parallelism: this.options.parallelism,
    });
  }

  private argonOptions() {
    return {
      type: argon2.argon2id as 2,
      memoryCost: this.options.memoryKib,
      timeCost: this.options.iterations,
      parallelism: this.options.parallelism,
    };
  }

  private async bounded<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.options.concurrency) {
      if (this.waiting.length >= this.options.queueLimit) {
        throw new DomainError('unavailable', 'Too many sign-ins are in progress; retry in a moment.', {
          retryAfterSeconds: 1,
        });
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
