import type { TokenVerifier } from '@conduit/auth';
import type { Bus } from '@conduit/bus';
import type { Database } from '@conduit/db';
import type { Producer } from '@conduit/jobs';
import type { Logger } from '@conduit/service-kit';
import type { Redis } from 'ioredis';
import type { MetricsRuntime } from './domain/metrics/metrics-runtime.js';
import type { AnalyticsEnv } from './env.js';
import type { AnalyticsJobs } from './jobs/catalog.js';

/** What analytics' verbs need; built once in service.ts (or by a test) and passed down. */
export interface AnalyticsDeps {
  env: AnalyticsEnv;
  db: Database;
  log: Logger;
  /** The producing services' streams, read by the ingestion and asked for consumer lag. */
  bus: Bus;
  /** Counts client event batches per user (rate limit). */
  redis: Redis;
  jobs: Producer<AnalyticsJobs>;
  /** The metrics layer's sealed passwords, checked hosts and external source pools. */
  metrics: MetricsRuntime;
  /** Defaults to identity's JWKS; tests may pass their own. */
  verifier?: TokenVerifier;
}
