import {
  encryptionKeysEnv,
  envDuration,
  envList,
  envPort,
  loadServiceEnv,
  serviceEnv,
} from '@conduit/config';
import { z } from 'zod';

/** Connections one SQL credential (a BI tool's Postgres login) may hold at most. */
export const MAX_SQL_CONNECTIONS = 5;

const schema = serviceEnv.extend({
  ...encryptionKeysEnv, // external data sources' passwords
  ANALYTICS_PORT: envPort(4006),
  ANALYTICS_HOST: z.string().default('0.0.0.0'),
  /**
   * The producing services whose streams are recorded, one durable consumer each. A service added
   * later is recorded by adding its name here; its events are kept, and counted once a metric
   * maps its subjects.
   */
  ANALYTICS_STREAMS: envList('identity,conversation,knowledge,workflow,email').pipe(
    z
      .array(z.string().regex(/^[a-z][a-z0-9-]*$/, 'a stream is named by its service, e.g. "identity"'))
      .min(1),
  ),
  /** Most events written in one transaction, and how long the first waits for company. */
  INGEST_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(500),
  INGEST_BATCH_WAIT: envDuration('50ms'),
  /**
   * How long a delivered event may stay unacked before JetStream delivers it again: after a worker
   * dies, its unacked events (up to four batches) wait this long for another worker.
   */
  INGEST_ACK_WAIT: envDuration('30s'),
  /** Raw events older than this are pruned (and refused on arrival); counters are kept longer. */
  EVENT_RETENTION: envDuration('400d'),
  ROLLUP_RETENTION: envDuration('1100d'),
  /** When the pruning job runs (cron, 5 fields or 6 with seconds first). */
  PRUNE_CRON: z.string().default('17 3 * * *'),
  /** Monthly partitions of the event table are created this many months ahead. */
  PARTITION_MONTHS_AHEAD: z.coerce.number().int().min(1).max(24).default(3),
  /** Batches of client events (POST /v1/analytics/events, up to 500 each) per user and window. */
  CLIENT_BATCHES_PER_WINDOW: z.coerce.number().int().min(1).default(120),
  CLIENT_BATCHES_WINDOW: envDuration('1m'),
  /** How many tokens make one AI credit, as conversation charges them (its AI_CREDIT_TOKENS). */
  AI_CREDIT_TOKENS: z.coerce.number().int().min(1).default(1000),
  /** A consumer further behind than this many events makes /health/ready say "degraded". */
  CONSUMER_LAG_WARN: z.coerce.number().int().min(1).default(10_000),
  /**
   * Hosts (names or CIDR ranges) of external data sources allowed although private or loopback;
   * none by default (tests and `pnpm start` allow the local machine).
   */
  METRICS_ALLOWED_HOSTS: envList(''),
  /** Longest a metrics query may run on a data source before it is cancelled. */
  METRICS_STATEMENT_TIMEOUT: envDuration('30s'),
  /** Most rows any metrics query answers, whatever limit it asks for. */
  METRICS_ROW_CAP: z.coerce.number().int().min(1).max(10_000).default(5000),
  /**
   * Shortest time between two runs of a report's or alert's schedule (each may send mail); tests of
   * schedules set it lower.
   */
  METRICS_MIN_SCHEDULE_GAP: envDuration('5m'),
  /** How long a metrics query's answer is reused for the same query (0 turns caching off). */
  METRICS_CACHE_TTL: envDuration('60s'),
  /** Connections each external data source may hold open, and how long an idle one stays. */
  METRICS_POOL_SIZE: z.coerce.number().int().min(1).max(10).default(2),
  METRICS_POOL_IDLE: envDuration('60s'),
  /** How long connecting to an external data source may take. */
  METRICS_CONNECT_TIMEOUT: envDuration('10s'),
  /**
   * Where BI tools connect with a team's SQL credentials, as shown to them; the service's own
   * database host and port unless set (a proxy or public name in front of Postgres).
   */
  METRICS_SQL_HOST: z.string().min(1).optional(),
  METRICS_SQL_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  /** Connections a SQL credential may hold at once unless its creator asks for fewer (at most 5). */
  METRICS_SQL_CONNECTION_LIMIT: z.coerce.number().int().min(1).max(MAX_SQL_CONNECTIONS).default(5),
  /** SQL credentials (Postgres logins) a team may hold at once. */
  METRICS_SQL_CREDENTIALS_PER_TEAM: z.coerce.number().int().min(1).max(50).default(5),
});

export type AnalyticsEnv = ReturnType<typeof loadEnv>;

export const loadEnv = (source: NodeJS.ProcessEnv = process.env) =>
  loadServiceEnv(schema, 'analytics', source);
