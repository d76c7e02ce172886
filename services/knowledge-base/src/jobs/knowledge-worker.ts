import { uuidv7, withoutActor } from '@conduit/db';
import { type RunningWorker, startWorker } from '@conduit/jobs';
import { UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import { failedJobs } from '../db/schema.js';
import type { KnowledgeDeps } from '../deps.js';
import { fetchDatasource } from '../domain/datasources/url-datasources.js';
import { indexDocument } from '../domain/indexing/index-document.js';
import type { KnowledgeJobs } from './catalog.js';

/** Runs knowledge-base's jobs; a job that used up its attempts is kept in failed_jobs. */
export function startKnowledgeWorker(
  deps: KnowledgeDeps,
  catalog: KnowledgeJobs,
  connection: Redis,
): RunningWorker {
  return startWorker(
    catalog,
    {
      'index-document': async (payload, job) => {
        const outcome = await indexDocument(deps, {
          ...payload,
          lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
        });
        // A corrupt file fails at once, without retries, and is kept in failed_jobs like any other.
        if (typeof outcome === 'object') throw new UnrecoverableError(outcome.failed);
        return outcome;
      },
      'fetch-datasource': (payload) => fetchDatasource(deps, payload.datasourceId),
    },
    {
      connection,
      prefix: `${deps.env.REDIS_KEY_PREFIX}bull`,
      concurrency: deps.env.INDEX_CONCURRENCY,
      lockDurationMs: deps.env.JOB_LOCK_DURATION,
      stalledIntervalMs: deps.env.JOB_STALLED_INTERVAL,
      onExhausted: async (job) => {
        deps.log.warn({ job: job.name, jobId: job.jobId, error: job.error }, 'job exhausted its attempts');
        await withoutActor(deps.db, (tx) =>
          tx.insert(failedJobs).values({
            id: uuidv7(),
            queue: job.queue,
            jobName: job.name,
            jobId: job.jobId ?? null,
            payload: job.payload ?? {},
            error: job.error,
            attempts: job.attempts,
          }),
        );
      },
    },
  );
}
