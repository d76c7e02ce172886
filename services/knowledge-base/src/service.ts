import { fileURLToPath } from 'node:url';
import { defineService } from '@conduit/runtime';
import { parseKeyring, SecretBox } from '@conduit/secrets';
import { buildApp } from './app.js';
import { serveSearchRpc } from './bus/search-rpc.js';
import { serveWebsiteRpc } from './bus/website-rpc.js';
import type { KnowledgeDeps } from './deps.js';
import { fetchDatasource } from './domain/datasources/url-datasources.js';
import { indexDocuments } from './domain/indexing/index-documents.js';
import { statisticsRefresher } from './domain/indexing/refresh-statistics.js';
import { detectPgvector } from './domain/search/vector-leg.js';
import { type KnowledgeEnv, loadEnv } from './env.js';
import { type KnowledgeJobs, knowledgeJobs } from './jobs/catalog.js';
import { createIndexBatcher } from './jobs/processors/index-batcher.js';
import { indexDocumentJob } from './jobs/processors/index-document-job.js';

export const SCHEMA = 'knowledge';
export const migrationsDir = fileURLToPath(new URL('../drizzle', import.meta.url));

/**
 * Knowledge-base: collections, documents and search over HTTP, `rpc.knowledge.search` for
 * conversation, and a worker that indexes documents and fetches URL data sources.
 */
export const knowledgeService = defineService<KnowledgeEnv, KnowledgeDeps, KnowledgeJobs>({
  name: 'knowledge-base',
  loadEnv,
  database: { schema: SCHEMA, migrationsDir },
  listen: (env) => ({ port: env.KNOWLEDGE_BASE_PORT, host: env.KNOWLEDGE_BASE_HOST }),
  jobs: (env) => knowledgeJobs({ attempts: env.INDEX_ATTEMPTS, backoffMs: env.INDEX_BACKOFF }),
  deps: async ({ env, log, database, jobs, bus }) => ({
    env,
    db: database.db,
    log,
    bus,
    box: new SecretBox(parseKeyring(env.ENCRYPTION_KEYS)),
    jobs,
    pgvector: await detectPgvector((text) => database.sql.unsafe(text)),
  }),
  app: buildApp,
  rpc: (deps, bus) => [serveSearchRpc(bus, deps), serveWebsiteRpc(bus, deps)],
  worker: {
    handlers: (deps) => {
      const statistics = statisticsRefresher(deps);
      const batcher = createIndexBatcher({
        documents: deps.env.INDEX_BATCH_DOCUMENTS,
        batches: deps.env.INDEX_CONCURRENCY,
        index: (jobs) => indexDocuments(deps, jobs),
        afterBatch: (idle) => (idle ? statistics.whenIdle() : statistics.afterBatch()),
      });
      return {
        'index-document': (payload, job) => indexDocumentJob(batcher, payload, job),
        'fetch-datasource': (payload) => fetchDatasource(deps, payload.datasourceId),
      };
    },
    // Enough jobs at once to fill INDEX_CONCURRENCY batches of INDEX_BATCH_DOCUMENTS documents.
    settings: (env) => ({
      concurrency: env.INDEX_CONCURRENCY * env.INDEX_BATCH_DOCUMENTS,
      lockDurationMs: env.JOB_LOCK_DURATION,
      stalledIntervalMs: env.JOB_STALLED_INTERVAL,
    }),
  },
});
