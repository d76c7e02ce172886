import {
  encryptionKeysEnv,
  envBoolean,
  envDuration,
  envList,
  envPort,
  loadServiceEnv,
  serviceEnv,
} from '@conduit/config';
import { z } from 'zod';

const schema = serviceEnv.extend({
  /** Seals mail account passwords at rest. */
  ...encryptionKeysEnv,
  MAIL_PORT: envPort(4005),
  MAIL_HOST: z.string().default('0.0.0.0'),
  /** Account syncs one worker process runs at once. */
  SYNC_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** How often every active account is synced by polling (IDLE announces the Inbox sooner). */
  SYNC_EVERY: envDuration('60s'),
  /**
   * How often an account is polled (all its folders, one IMAP login each time) while its Inbox
   * IDLE connection is live: IDLE already syncs the Inbox when it changes. Polling goes back to
   * SYNC_EVERY as soon as IDLE is down.
   */
  SYNC_EVERY_WHILE_IDLE: envDuration('15m'),
  /** Messages fetched per batch in a first sync, newest first. */
  SYNC_BATCH: z.coerce.number().int().min(10).max(5000).default(500),
  /** A full flag check of a folder without CONDSTORE at most this often. */
  FLAG_CHECK_EVERY: envDuration('5m'),
  /** Mail hosts / CIDR ranges accounts may reach although private or loopback (tests, `pnpm start`). */
  MAIL_ALLOWED_HOSTS: envList(''),
  /** Security `none` (plain IMAP/SMTP, password in the clear) is for development only. */
  MAIL_ALLOW_INSECURE: envBoolean(false),
  /** Connecting to, or an answer from, a mail server gives up after this. */
  MAIL_TIMEOUT: envDuration('20s'),
  /** Keep an IDLE connection on the Inbox of each active account in the worker. */
  IDLE_ENABLED: envBoolean(true),
  /** IDLE is re-issued after this (RFC 2177: servers may drop it after 30 minutes, so under 29). */
  IDLE_RENEW: envDuration('25m').refine(
    (ms) => ms > 0 && ms < 29 * 60_000,
    'IDLE_RENEW must be under 29 minutes: RFC 2177 lets a server drop an IDLE after 30',
  ),
  /** Bodies are stored up to this many bytes each (text and HTML); the rest is cut off. */
  BODY_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  /** A message larger than this is stored with its headers only (bodies read on demand). */
  MESSAGE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(25 * 1024 * 1024),
  /** A sync's lease on its account (renewed while it runs): a killed worker's sync is taken over after it. */
  SYNC_LEASE: envDuration('30s'),
  /**
   * Platform mail (a bot with no account of its own): smtp(s)://user:pass@host:port, or
   * file://<dir> to write .eml files, as identity's; unset, such mail fails.
   */
  MAIL_URL: z.string().optional(),
  /** The sender of platform mail (`Name <address>` or an address). */
  MAIL_FROM: z.string().default('Conduit <no-reply@localhost>'),
  /**
   * A send's lease on its message, renewed every third of it while the SMTP transaction runs: a
   * live slow send is never taken twice, and one whose worker died is sent again once it runs out.
   */
  SEND_LEASE: envDuration('30s'),
  /** How long a worker's job lock lasts unrenewed: a killed worker's job is run again after it. */
  JOB_LOCK_DURATION: envDuration('30s'),
  /** How often workers look for jobs of a dead worker and queue them again. */
  JOB_STALLED_INTERVAL: envDuration('30s'),
  /** How long a request to another service (identity's usage) waits for its answer. */
  RPC_TIMEOUT: envDuration('5s'),
  /** First delay of reconnecting after a connection error; doubles up to 30 minutes. */
  CONNECT_BACKOFF: envDuration('5s'),
});

export type MailEnv = ReturnType<typeof loadEnv>;

export const loadEnv = (source: NodeJS.ProcessEnv = process.env) => loadServiceEnv(schema, 'email', source);
