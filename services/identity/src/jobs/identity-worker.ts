import { createDatabase, runtimeUrl } from '@conduit/db';
import { createProducer, type Producer, type RunningWorker, redisForJobs, startWorker } from '@conduit/jobs';
import type { Logger } from '@conduit/service-kit';
import type { IdentityEnv } from '../env.js';
import { SCHEMA } from '../runtime.js';
import { identityJobs } from './catalog.js';
import { recordFailedJob } from './record-failed-job.js';
import { rollUsagePeriodsJob, scheduleUsageRoll } from './roll-usage-periods.js';

export interface IdentityWorker {
  producer: Producer<typeof identityJobs>;
  worker: RunningWorker;
  /** Lets running jobs finish, then closes the queue, Redis and Postgres. */
  close(): Promise<void>;
}

/**
 * Identity's background work: registers the job schedulers (the usage period roll on
 * USAGE_ROLL_CRON) and runs the jobs of identity's queue, with the runtime role's connection.
 * Jobs that fail for good are kept in `identity.failed_jobs`.
 */
export async function startIdentityWorker(env: IdentityEnv, log: Logger): Promise<IdentityWorker> {
  const database = createDatabase(runtimeUrl(env.IDENTITY_DATABASE_URL, SCHEMA, env.DATABASE_APP_PASSWORD), {
    applicationName: 'identity-worker',
    max: 4,
  });
  const connection = redisForJobs(env.REDIS_URL);
  const prefix = `${env.REDIS_KEY_PREFIX}bull`;
  const producer = createProducer(identityJobs, { connection, prefix });
  let worker: RunningWorker | undefined;
  const close = async () => {
    await worker?.close();
    await producer.close();
    await connection.quit().catch(() => connection.disconnect());
    await database.close();
  };
  try {
    await scheduleUsageRoll(producer, env.USAGE_ROLL_CRON);
    worker = startWorker(
      identityJobs,
      { 'roll-usage-periods': () => rollUsagePeriodsJob({ db: database.db, log }) },
      { connection, prefix, onExhausted: (job) => recordFailedJob(database.db, log, job) },
    );
    await worker.worker.waitUntilReady();
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  log.info({ queue: identityJobs.queue, rollCron: env.USAGE_ROLL_CRON }, 'identity worker started');
  return { producer, worker, close };
}
