import type { Database } from '@conduit/db';
import type { Logger } from '@conduit/service-kit';
import type { Redis } from 'ioredis';
import type { Mailer } from './domain/mail/mailer.js';
import type { LoginThrottle } from './domain/passwords/login-throttle.js';
import type { PasswordHasher } from './domain/passwords/password-hasher.js';
import type { LiveSessionCache } from './domain/sessions/live-session.js';
import type { SigningKeys } from './domain/tokens/signing-keys.js';
import type { IdentityEnv } from './env.js';

/** What identity's verbs need; built once in server.ts (or by a test) and passed down. */
export interface IdentityDeps {
  env: IdentityEnv;
  db: Database;
  redis: Redis;
  keys: SigningKeys;
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  mailer: Mailer;
  log: Logger;
  /** Sessions recently found live (read-only routes skip asking Postgres for LIVE_SESSION_CACHE_MS). */
  liveSessions: LiveSessionCache;
}

/** Where a request came from, recorded on sessions and one-time tokens. */
export type { ClientInfo } from '@conduit/service-kit';
