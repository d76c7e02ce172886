import { fileURLToPath } from 'node:url';
import { defineService } from '@conduit/runtime';
import { buildApp } from './app.js';
import { streamIngestion } from './bus/stream-ingestion.js';
import type { AnalyticsDeps } from './deps.js';
import { evaluateAlert } from './domain/metrics/alerts/evaluate-alert.js';
import { createMetricsRuntime } from './domain/metrics/metrics-runtime.js';
import { runReport } from './domain/metrics/reports/run-report.js';
import { ensurePartitions, pruneEvents } from './domain/retention/retention.js';
import { type AnalyticsEnv, loadEnv } from './env.js';
import { type AnalyticsJobs, analyticsJobs } from './jobs/catalog.js';

export const SCHEMA = 'analytics';
export const migrationsDir = fileURLToPath(new URL('../drizzle', import.meta.url));

/**
 * Analytics: records every event of the producing services' streams once, with exact counters per
 * 15-minute bucket, takes client events over HTTP and answers series, totals, top lists and the
 * event log. The worker runs the stream consumers and the upkeep of the event table.
 */
export const analyticsService = defineService<AnalyticsEnv, AnalyticsDeps, AnalyticsJobs>({
  name: 'analytics',
  loadEnv,
  database: { schema: SCHEMA, migrationsDir },
  redis: {},
  listen: (env) => ({ port: env.ANALYTICS_PORT, host: env.ANALYTICS_HOST }),
  jobs: () => analyticsJobs,
  deps: ({ env, log, database, bus, redis, jobs, onClose }) => ({
    env,
    log,
    db: database.db,
    bus,
    redis,
    jobs,
    metrics: createMetricsRuntime(env, log, onClose),
  }),
  app: buildApp,
  background: [streamIngestion],
  worker: {
    handlers: (deps) => ({
      'ensure-partitions': () => ensurePartitions(deps),
      'prune-events': () => pruneEvents(deps),
      'run-report': (payload, job) => runReport(deps, payload, job),
      'evaluate-alert': (payload, job) => evaluateAlert(deps, payload, job),
    }),
    schedule: async (jobs, env) => {
      await jobs.schedule('ensure-partitions', 'ensure-partitions', {}, { pattern: '7 0 * * *' });
      await jobs.schedule('prune-events', 'prune-events', {}, { pattern: env.PRUNE_CRON });
    },
  },
});
