import { randomUUID } from 'node:crypto';
import { unrefusedCursors, walkPages } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalyticsHarness, bearer, startAnalyticsHarness } from '../fixtures/analytics-harness.js';
import { startWebhookSink } from '../fixtures/webhook-sink.js';

// The lists of the metrics layer that no other test walks (reports, alerts, their runs and
// evaluations, SQL credentials), read two items at a time from the first page to the last,
// against the same list read whole in one page.
const NEVER_SOON = '0 0 1 1 *';
let h: AnalyticsHarness;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;
const teamId = randomUUID();
let token: string;
let reportId: string;
let alertId: string;
const logins: string[] = [];

const call = (method: 'GET' | 'POST', url: string, payload?: object) =>
  h.app.inject({ method, url, headers: bearer(token), ...(payload && { payload }) });

async function ok(url: string, payload?: object) {
  const response = await call('POST', url, payload);
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response.json();
}

/** Waits until `url` lists `count` items, none of them still running. */
async function settled(url: string, count: number) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const items = (await call('GET', `${url}?limit=100`)).json().items as { status: string }[];
    if (items.length >= count && items.every((item) => item.status !== 'running')) return;
    if (Date.now() > deadline) throw new Error(`${url} never settled: ${JSON.stringify(items)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  h = await startAnalyticsHarness({ env: { METRICS_ALLOWED_HOSTS: '127.0.0.1', METRICS_CACHE_TTL: '0' } });
  sink = await startWebhookSink();
  ({ token } = await h.tokens.mint({ orgId: randomUUID(), teams: { [teamId]: 'owner' } }));
  const schemas = await call('GET', `/v1/metrics/dataschemas?teamId=${teamId}`);
  expect(schemas.statusCode, schemas.body).toBe(200);
  const { id: explorationId } = await ok('/v1/metrics/explorations', {
    dataschemaId: schemas.json().items[0].id,
    name: 'Events of the team',
    query: { measures: ['events.count'], dimensions: [] },
  });
  for (let i = 0; i < 5; i++) {
    const delivery = (path: string) => ({ webhookUrl: sink.url(path) });
    const report = await ok('/v1/metrics/reports', {
      explorationId,
      name: `report ${i}`,
      schedule: NEVER_SOON,
      format: 'csv',
      delivery: delivery(`/report-${i}`),
    });
    sink.expect(`/report-${i}`, report.webhookSecret);
    reportId = report.id;
    const alert = await ok('/v1/metrics/alerts', {
      explorationId,
      name: `alert ${i}`,
      schedule: NEVER_SOON,
      conditions: [{ column: 'events.count', lower: 100 }],
      delivery: delivery(`/alert-${i}`),
    });
    sink.expect(`/alert-${i}`, alert.webhookSecret);
    alertId = alert.id;
  }
  for (let i = 0; i < 3; i++) {
    logins.push((await ok('/v1/metrics/sql-credentials', { teamId, name: `BI ${i}` })).username);
  }
  // Runs one at a time, each finished before the next is asked for.
  for (let run = 1; run <= 5; run++) {
    await ok(`/v1/metrics/reports/${reportId}/send`);
    await settled(`/v1/metrics/reports/${reportId}/runs`, run);
    await ok(`/v1/metrics/alerts/${alertId}/test`);
    await settled(`/v1/metrics/alerts/${alertId}/evaluations`, run);
  }
}, 180_000);

afterAll(async () => {
  // Logins belong to the cluster, not the test's database: none is left behind.
  for (const username of logins) {
    await h.admin`select pg_terminate_backend(pid) from pg_stat_activity where usename = ${username}`;
    await h.admin.unsafe(`drop role if exists ${username}`).catch(() => {});
  }
  await sink?.close();
  await h?.close();
});

const lists = () => ({
  reports: `/v1/metrics/reports?teamId=${teamId}`,
  alerts: `/v1/metrics/alerts?teamId=${teamId}`,
  'report runs': `/v1/metrics/reports/${reportId}/runs`,
  'alert evaluations': `/v1/metrics/alerts/${alertId}/evaluations`,
  'SQL credentials': `/v1/metrics/sql-credentials?teamId=${teamId}`,
});

const get = (path: string) => (query: string) =>
  call('GET', `${path}${path.includes('?') ? '&' : '?'}${query}`);

describe('every list of the metrics layer', () => {
  for (const name of Object.keys(lists()) as (keyof ReturnType<typeof lists>)[]) {
    it(`${name}: two at a time, every item once and in order; a tampered cursor answers 400`, async () => {
      const path = lists()[name];
      const whole = (await get(path)('limit=100')).json() as { items: unknown[]; nextCursor: string | null };
      expect(whole.nextCursor).toBeNull();
      expect(whole.items.length).toBeGreaterThanOrEqual(3);
      expect(await walkPages(get(path), 2)).toEqual(whole.items);

      const first = (await get(path)('limit=2')).json() as { nextCursor: string };
      expect(await unrefusedCursors(get(path), first.nextCursor)).toEqual([]);
    });
  }
});
