import { recordSpansInMemory, SpanKind, withSpan } from '@conduit/telemetry';
import { localServices, testRedisPrefix } from '@conduit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createProducer, defineJobs, type ExhaustedJob, redisForJobs, startWorker } from '../../src/index.js';

const spans = recordSpansInMemory();
const connection = redisForJobs(localServices.redisUrl);
const prefix = testRedisPrefix().replace(/:$/, '');
const catalog = defineJobs('jobs-test', {
  greet: { payload: z.object({ name: z.string() }), attempts: 3, backoffMs: 20 },
  flaky: { payload: z.object({ failTimes: z.number() }), attempts: 3, backoffMs: 20 },
});

afterAll(async () => {
  const keys = await connection.keys(`${prefix}:*`);
  if (keys.length) await connection.del(...keys);
  connection.disconnect();
  await spans.shutdown();
});

describe('jobs', () => {
  it('runs jobs, retries failures, and hands exhausted and malformed ones over for recording', async () => {
    const producer = createProducer(catalog, { connection, prefix });
    const greeted: string[] = [];
    const exhausted: ExhaustedJob[] = [];
    const calls = new Map<number, number>();
    const running = startWorker(
      catalog,
      {
        greet: async ({ name }) => greeted.push(name),
        flaky: async ({ failTimes }) => {
          const attempt = (calls.get(failTimes) ?? 0) + 1;
          calls.set(failTimes, attempt);
          if (attempt <= failTimes) throw new Error(`attempt ${attempt} failed`);
        },
      },
      { connection, prefix, onExhausted: (job) => void exhausted.push(job) },
    );

    await withSpan('enqueue', { kind: SpanKind.PRODUCER }, async () => {
      await producer.add('greet', { name: 'ann' }, { jobId: 'greet-ann' });
      await producer.add('greet', { name: 'ann' }, { jobId: 'greet-ann' }); // the same id is queued once
    });
    await producer.add('flaky', { failTimes: 2 });
    await producer.add('flaky', { failTimes: 99 });
    await producer.queue.add('greet', { payload: { name: 42 } });

    // The two flaky jobs retry side by side (concurrency 4): the one that succeeds on its third
    // attempt may still be running when the other is given up, so wait for every attempt.
    await expect
      .poll(() => ({ exhausted: exhausted.length, calls: Object.fromEntries(calls) }), { timeout: 10_000 })
      .toEqual({ exhausted: 2, calls: { 2: 3, 99: 3 } });
    expect(greeted).toEqual(['ann']);
    expect(exhausted.map((job) => job.error).sort()).toEqual(
      [expect.stringMatching(/attempt \d failed/), expect.stringMatching(/^invalid payload/)].sort(),
    );
    expect(exhausted.find((job) => job.name === 'flaky')!.attempts).toBe(3);
    expect(Object.fromEntries(calls)).toEqual({ 2: 3, 99: 3 });

    const enqueue = spans.spans().find((span) => span.name === 'enqueue')!;
    const run = spans.spans().find((span) => span.name === 'job jobs-test.greet')!;
    expect(run.spanContext().traceId).toBe(enqueue.spanContext().traceId);

    await expect(producer.add('greet', { name: 7 } as never)).rejects.toThrow();
    await running.close();
    await producer.close();
  }, 20_000);

  it('keeps one scheduler per id when it is upserted again', async () => {
    const producer = createProducer(catalog, { connection, prefix });
    await producer.schedule('nightly', 'greet', { name: 'cron' }, { pattern: '0 3 * * *' });
    await producer.schedule('nightly', 'greet', { name: 'cron' }, { pattern: '0 4 * * *' });
    const schedulers = await producer.queue.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ key: 'nightly', pattern: '0 4 * * *' });
    await producer.unschedule('nightly');
    expect(await producer.queue.getJobSchedulers()).toHaveLength(0);
    await producer.close();
  });
});
