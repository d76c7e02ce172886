import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalyticsHarness, startAnalyticsHarness } from '../fixtures/analytics-harness.js';
import { exited, startWorkerChild } from '../fixtures/worker-process.js';

// Consumer lag as a metric: GET /metrics in Prometheus text, beside /health/ready's details.

let h: AnalyticsHarness;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  h = await startAnalyticsHarness({
    worker: false,
    // A killed worker's events come back to the next one after 2 s.
    env: { ANALYTICS_STREAMS: 'identity,conversation', INGEST_ACK_WAIT: '2s' },
  });
}, 60_000);
afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  if (worker) await exited(worker);
  await h?.close();
}, 30_000);

/** The samples of /metrics as `name{labels}` -> value. */
async function scrape() {
  const res = await h.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return Object.fromEntries(
    res.body
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => {
        const [series, value] = line.split(' ');
        return [series!, Number(value)];
      }),
  );
}

const click = () =>
  h.publish({
    subject: 'conversation.click.recorded',
    actor: { userId: randomUUID(), sessionId: null, orgId: randomUUID() },
    data: { clickId: randomUUID(), sessionId: randomUUID(), botId: randomUUID(), elementId: 'b' },
  });

describe('GET /metrics', () => {
  it('says how far behind each stream’s consumer is, and when it cannot tell', async () => {
    // No worker has created the consumers yet: unknown, so no lag sample.
    expect(await scrape()).toEqual({
      'analytics_consumer_up{stream="identity"}': 0,
      'analytics_consumer_up{stream="conversation"}': 0,
    });

    worker = startWorkerChild(h.childEnv);
    const caughtUp = {
      'analytics_consumer_lag{stream="identity"}': 0,
      'analytics_consumer_lag{stream="conversation"}': 0,
      'analytics_consumer_up{stream="identity"}': 1,
      'analytics_consumer_up{stream="conversation"}': 1,
    };
    await expect.poll(scrape, { timeout: 30_000, interval: 200 }).toEqual(caughtUp);

    // With the worker gone, what is published waits: the lag counts it.
    worker.kill('SIGKILL');
    await exited(worker);
    for (let i = 0; i < 3; i++) await click();
    // Polled: a message handed to the killed worker's last pull request is counted as delivered and
    // as pending for a moment, until the server settles it back to waiting.
    await expect
      .poll(scrape, { timeout: 15_000, interval: 200 })
      .toMatchObject({ 'analytics_consumer_lag{stream="conversation"}': 3 });
    const ready = (await h.app.inject({ method: 'GET', url: '/health/ready' })).json();
    expect(ready.details.consumerLag).toEqual({ identity: 0, conversation: 3 });

    worker = startWorkerChild(h.childEnv);
    await expect.poll(scrape, { timeout: 30_000, interval: 200 }).toEqual(caughtUp);
    await h.waitForEvents(3);
  });

  it('needs no token and is not part of the API document', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).not.toContain('/metrics');
  });
});
