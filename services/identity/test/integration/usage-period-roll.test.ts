import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { JobHandlers } from '@conduit/jobs';
import { type RunningWorker, startWorkerProcess } from '@conduit/runtime';
import { createLogger } from '@conduit/service-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityDeps } from '../../src/deps.js';
import { type identityJobs, ROLL_USAGE_PERIODS_SCHEDULER } from '../../src/jobs/catalog.js';
import { rollUsagePeriodsJob } from '../../src/jobs/processors/roll-usage-periods.js';
import { identityService } from '../../src/service.js';
import { type IdentityHarness, startIdentityHarness } from '../fixtures/identity-harness.js';
import { counter, ensureSubscription, setCounter } from '../fixtures/usage-subjects.js';

/** BullMQ's job, as the handlers see it. */
type Job = Parameters<JobHandlers<typeof identityJobs>['roll-usage-periods']>[1];

let h: IdentityHarness;
const log = createLogger({ service: 'identity-worker-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
type IdentityWorker = RunningWorker<IdentityDeps, typeof identityJobs>;
const running: IdentityWorker[] = [];

beforeAll(async () => {
  h = await startIdentityHarness();
}, 60_000);
// Workers stop before the harness deletes the test's Redis keys, or they would make new ones.
afterEach(async () => {
  for (const worker of running.splice(0)) await worker.close();
});
afterAll(() => h?.close(), 30_000);

async function startWorker(env: Record<string, string> = {}) {
  const worker = await startWorkerProcess(identityService, { env: { ...h.env, ...env }, log });
  running.push(worker);
  return worker;
}

/** A subscription whose period ended two months and five days ago, with some usage. */
async function endedSubscription() {
  const subscriptionId = await ensureSubscription(h, { type: 'user', id: randomUUID() });
  await h.admin`update identity.user_subscriptions
    set period_start = now() - interval '3 months 5 days', period_end = now() - interval '2 months 5 days'
    where id = ${subscriptionId}`;
  await setCounter(h, subscriptionId, 'executions', { used: 700, limit: 1000 });
  return subscriptionId;
}

/** A daily cron pattern twelve hours from now (local time, as the scheduler reads it). */
const notDuringThisTest = () => `0 ${(new Date().getHours() + 12) % 24} * * *`;

async function periodOf(subscriptionId: string) {
  const [row] = await h.admin<{ period_start: Date; period_end: Date }[]>`
    select period_start, period_end from identity.user_subscriptions where id = ${subscriptionId}`;
  return row!;
}

/** The next job of `name` the worker finishes (or fails), by its job id when given. */
function nextFinished(worker: IdentityWorker, match: (job: Job) => boolean) {
  return new Promise<{ job: Job; result?: unknown; error?: Error }>((resolve) => {
    const onCompleted = (job: Job, result: unknown) => match(job) && done({ job, result });
    const onFailed = (job: Job | undefined, error: Error) => job && match(job) && done({ job, error });
    const done = (outcome: { job: Job; result?: unknown; error?: Error }) => {
      worker.worker.off('completed', onCompleted);
      worker.worker.off('failed', onFailed);
      resolve(outcome);
    };
    worker.worker.on('completed', onCompleted);
    worker.worker.on('failed', onFailed);
  });
}

describe('usage period roll', () => {
  it('the job rolls every subscription whose period has ended, and only those', async () => {
    const ended = [await endedSubscription(), await endedSubscription()];
    const current = await ensureSubscription(h, { type: 'team', id: randomUUID() });
    await setCounter(h, current, 'executions', { used: 40, limit: 1000 });
    const before = await periodOf(current);

    expect(await rollUsagePeriodsJob({ db: h.deps.db, log })).toEqual({ rolled: 2 });

    for (const id of ended) {
      expect(await counter(h, id, 'executions')).toEqual({ used: 0, limit: 1000 });
      const period = await periodOf(id);
      expect(period.period_start.getTime()).toBeLessThanOrEqual(Date.now());
      expect(period.period_end.getTime()).toBeGreaterThan(Date.now());
    }
    expect(await counter(h, current, 'executions')).toEqual({ used: 40, limit: 1000 });
    expect(await periodOf(current)).toEqual(before);
    // Run again, nothing is due.
    expect(await rollUsagePeriodsJob({ db: h.deps.db, log })).toEqual({ rolled: 0 });
  });

  it('the worker registers the scheduler on USAGE_ROLL_CRON, once however often it starts', async () => {
    await startWorker();
    const worker = await startWorker();
    const schedulers = await worker.jobs.queue.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({
      key: ROLL_USAGE_PERIODS_SCHEDULER,
      name: 'roll-usage-periods',
      pattern: '*/15 * * * *',
    });
    // The BullMQ keys live under the service's prefix.
    expect(worker.jobs.queue.opts.prefix).toBe(`${h.env.REDIS_KEY_PREFIX}bull`);
  });

  it('the worker runs an added job', async () => {
    const subscriptionId = await endedSubscription();
    // A schedule that cannot fire during the test: on the default one (every quarter hour) a run
    // at :00, :15, :30 or :45 could roll the subscription first and leave the added job nothing.
    const worker = await startWorker({ USAGE_ROLL_CRON: notDuringThisTest() });
    const finished = nextFinished(
      worker,
      (job) => job.name === 'roll-usage-periods' && !job.id?.startsWith('repeat:'),
    );
    await worker.jobs.add('roll-usage-periods', {});
    expect(await finished).toMatchObject({ result: { rolled: 1 } });
    expect(await counter(h, subscriptionId, 'executions')).toEqual({ used: 0, limit: 1000 });
  });

  it('the scheduler enqueues the job on its pattern and the worker runs it', async () => {
    const subscriptionId = await endedSubscription();
    // Six fields: every second, so that the test need not wait for a quarter of an hour.
    const worker = await startWorker({ USAGE_ROLL_CRON: '* * * * * *' });
    const scheduled = await nextFinished(
      worker,
      (job) => job.id?.startsWith(`repeat:${ROLL_USAGE_PERIODS_SCHEDULER}:`) ?? false,
    );
    expect(scheduled.error).toBeUndefined();
    expect(scheduled.job.name).toBe('roll-usage-periods');
    expect(await counter(h, subscriptionId, 'executions')).toEqual({ used: 0, limit: 1000 });
  }, 15_000);

  it('a job that fails for good is kept in identity.failed_jobs', async () => {
    const worker = await startWorker();
    const finished = nextFinished(worker, (job) => job.id === 'broken-roll');
    // Past the producer's validation: what an old or foreign producer might enqueue.
    await worker.jobs.queue.add('roll-usage-periods', { payload: 'not an object' }, { jobId: 'broken-roll' });
    expect((await finished).error).toBeDefined();
    let rows: { queue: string; job_name: string; job_id: string; payload: unknown; error: string }[] = [];
    for (let tries = 0; tries < 50 && rows.length === 0; tries++) {
      rows =
        await h.admin`select queue, job_name, job_id, payload, error from identity.failed_jobs where job_id = 'broken-roll'`;
      if (rows.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(rows).toEqual([
      {
        queue: 'identity',
        job_name: 'roll-usage-periods',
        job_id: 'broken-roll',
        payload: 'not an object',
        error: expect.stringContaining('invalid payload'),
      },
    ]);
  });

  it('src/worker.ts starts, migrates, serves the queue and stops with grace on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: h.database.adminUrl,
        IDENTITY_DATABASE_URL: h.database.adminUrl,
        REDIS_URL: h.env.REDIS_URL,
        NATS_URL: h.env.NATS_URL,
        // The test's own namespace: without it the worker would join the default one, a cluster's.
        BUS_NAMESPACE: h.env.BUS_NAMESPACE,
        REDIS_KEY_PREFIX: h.env.REDIS_KEY_PREFIX,
        LOG_LEVEL: 'info',
        LOG_PRETTY: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit');
    let output = '';
    const started = new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('identity worker running')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
    });
    try {
      await Promise.race([
        started,
        exited.then(() => Promise.reject(new Error(`worker exited:\n${output}`))),
      ]);
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code, output).toBe(0);
      expect(output).toContain('shutting down');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
