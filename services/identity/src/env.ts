import {
  encryptionKeysEnv,
  envDuration,
  envList,
  envPort,
  loadServiceEnv,
  serviceEnv,
} from '@conduit/config';
import { z } from 'zod';

const schema = serviceEnv.extend({
  ...encryptionKeysEnv,
  IDENTITY_PORT: envPort(4001),
  IDENTITY_HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: z.url().default('http://localhost:8080'),

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

  /** Wrong passwords for one account from one address (or one known device) per window. */
  LOGIN_FAILURES_PER_ACCOUNT_AND_IP: z.coerce.number().int().min(1).default(5),
  /** Wrong passwords from one address, whatever the accounts, per window. */
  LOGIN_FAILURES_PER_IP: z.coerce.number().int().min(1).default(50),
  LOGIN_FAILURE_WINDOW: envDuration('15m'),
  /** The account-wide brake on a spread attack: much higher than the above, and short. */
  LOGIN_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(100),
  LOGIN_ACCOUNT_BRAKE_WINDOW: envDuration('1m'),

  /** `smtp://user:pass@host:port`, or `file://<dir>` to write .eml files (the development default). */
  MAIL_URL: z.string().default('file://.data/mail'),
  MAIL_FROM: z.string().default('Conduit <no-reply@localhost>'),
  /**
   * How identity's mails (password reset, sign-in link, invite) leave: `direct` renders its
   * built-in texts and sends them through MAIL_URL itself (identity alone, as its tests run);
   * `email-service` asks the email service (identity.mail.requested) to send its system templates,
   * which operators can change (pnpm start uses it).
   */
  MAIL_DELIVERY: z.enum(['direct', 'email-service']).default('direct'),
  /** When the worker looks for usage periods that have ended (cron, 5 or 6 fields). */
  USAGE_ROLL_CRON: z
    .string()
    .trim()
    .regex(/^\S+(\s+\S+){4,5}$/, 'a cron pattern of 5 or 6 fields')
    .default('*/15 * * * *'),
  /** Accounts (by email) that hold the platform admin role from their first sign-in. */
  PLATFORM_ADMIN_EMAILS: envList('').transform((emails) => emails.map((email) => email.toLowerCase())),
});

export type IdentityEnv = ReturnType<typeof loadEnv>;

export const loadEnv = (source: NodeJS.ProcessEnv = process.env) =>
  loadServiceEnv(schema, 'identity', source);
