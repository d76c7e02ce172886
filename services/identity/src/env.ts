import { baseEnv, databaseUrlFor, envDuration, envList, envPort, parseEnv } from '@conduit/config';
import { z } from 'zod';

/** A keyring usable on a developer machine only; production refuses to start without its own. */
const DEV_ENCRYPTION_KEYS = '1:ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE=';

const schema = baseEnv.extend({
  IDENTITY_PORT: envPort(4001),
  IDENTITY_HOST: z.string().default('0.0.0.0'),
  /** `<version>:<base64 32 bytes>,...`; the highest version encrypts. */
  ENCRYPTION_KEYS: z.string().default(DEV_ENCRYPTION_KEYS),
  REDIS_KEY_PREFIX: z.string().default('conduit:'),
  PUBLIC_URL: z.url().default('http://localhost:8080'),
  TRUST_PROXY: envList('loopback,uniquelocal'),

  ACCESS_TOKEN_TTL: envDuration('15m'),
  SESSION_TTL: envDuration('30d'),
  /** A spent refresh token presented again within this window is a concurrent refresh, not theft. */
  REFRESH_REUSE_GRACE: envDuration('10s'),
  PASSWORD_RESET_TTL: envDuration('20m'),
  LOGIN_TOKEN_TTL: envDuration('15m'),
  SIGNING_KEY_ROTATE_AFTER: envDuration('30d'),

  ARGON2_MEMORY_KIB: z.coerce.number().int().min(19_456).default(19_456),
  ARGON2_ITERATIONS: z.coerce.number().int().min(2).default(2),
  ARGON2_PARALLELISM: z.coerce.number().int().min(1).default(1),
  /** Hashes running at once (each holds ARGON2_MEMORY_KIB) and waiting; beyond that, 503. */
  HASH_CONCURRENCY: z.coerce.number().int().min(1).default(4),
  HASH_QUEUE_LIMIT: z.coerce.number().int().min(0).default(200),

  LOGIN_FAILURES_PER_ACCOUNT_AND_IP: z.coerce.number().int().min(1).default(5),
  LOGIN_FAILURES_PER_IP: z.coerce.number().int().min(1).default(50),
  LOGIN_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(100),
  LOGIN_FAILURE_WINDOW: envDuration('15m'),

  /** `smtp://user:pass@host:port`, or `file://<dir>` to write .eml files (the development default). */
  MAIL_URL: z.string().default('file://.data/mail'),
  MAIL_FROM: z.string().default('Conduit <no-reply@localhost>'),
  /** When the worker looks for usage periods that have ended (cron, 5 or 6 fields). */
  USAGE_ROLL_CRON: z
    .string()
    .trim()
    .regex(/^\S+(\s+\S+){4,5}$/, 'a cron pattern of 5 or 6 fields')
    .default('*/15 * * * *'),
  /** Accounts (by email) that hold the platform admin role from their first sign-in. */
  PLATFORM_ADMIN_EMAILS: envList('').transform((emails) => emails.map((email) => email.toLowerCase())),
});

export type IdentityEnv = z.output<typeof schema> & { IDENTITY_DATABASE_URL: string };

export function loadEnv(env: NodeJS.ProcessEnv = process.env): IdentityEnv {
  const parsed = parseEnv(schema, env);
  if (parsed.NODE_ENV === 'production' && parsed.ENCRYPTION_KEYS === DEV_ENCRYPTION_KEYS) {
    throw new Error('ENCRYPTION_KEYS must be set in production (the built-in key is for development only)');
  }
  return { ...parsed, IDENTITY_DATABASE_URL: databaseUrlFor('identity', env, parsed.DATABASE_URL) };
}
