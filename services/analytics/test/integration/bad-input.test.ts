import { countRows, injectSender, probeUnstorableInput, walkPages } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA } from '../../src/service.js';
import { type AnalyticsHarness, bearer, startAnalyticsHarness } from '../fixtures/analytics-harness.js';

let h: AnalyticsHarness;
let token: string;

beforeAll(async () => {
  h = await startAnalyticsHarness({ worker: false });
  token = (await h.tokens.mint({ perms: ['analytics.read'] })).token;
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const get = (url: string, query: Record<string, string>) =>
  h.app.inject({ method: 'GET', url, query, headers: bearer(token) });

const day = { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' };

describe('bad input is a 4xx problem, never a 5xx', () => {
  it.each([
    ['an unknown metric', '/v1/analytics/series', { ...day, metric: 'revenue' }],
    ['an inverted range', '/v1/analytics/series', { metric: 'messages', from: day.to, to: day.from }],
    [
      'a year at 15-minute resolution',
      '/v1/analytics/series',
      { metric: 'messages', from: '2025-11-01T00:00:00Z', to: day.to, interval: '15m' },
    ],
    ['an unknown interval', '/v1/analytics/series', { ...day, metric: 'messages', interval: 'fortnight' }],
    ['an unknown time zone', '/v1/analytics/series', { ...day, metric: 'messages', tz: 'Mars/Olympus' }],
    ['an offset for a time zone', '/v1/analytics/series', { ...day, metric: 'messages', tz: '+05:30' }],
    ['an unknown grouping', '/v1/analytics/series', { ...day, metric: 'messages', groupBy: 'planet' }],
    ['a date that is no date', '/v1/analytics/series', { metric: 'messages', from: 'yesterday', to: day.to }],
    ['a range longer than three years', '/v1/analytics/totals', { from: '2020-01-01T00:00:00Z', to: day.to }],
    ['an unknown metric in a list', '/v1/analytics/totals', { ...day, metrics: 'messages,revenue' }],
    ['an inverted range', '/v1/analytics/top', { metric: 'clicks', by: 'bot', from: day.to, to: day.from }],
    ['a team scope without a team', '/v1/analytics/totals', { ...day, scope: 'team' }],
    ['a team that is no id', '/v1/analytics/totals', { ...day, scope: 'team', teamId: 'x' }],
    ['an unknown scope', '/v1/analytics/totals', { ...day, scope: 'galaxy' }],
    ['a cursor this list did not give', '/v1/analytics/events', { cursor: 'bm90IGEgY3Vyc29y' }],
    ['a limit too large', '/v1/analytics/events', { limit: '1000' }],
  ])('%s (%s)', async (_what, url, query) => {
    const res = await get(url, query as Record<string, string>);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().detail).toBeTruthy();
  });

  it('refuses text and JSON Postgres cannot store in every field of every route, storing nothing', async () => {
    const before = await countRows(h.admin, [SCHEMA]);
    const report = await probeUnstorableInput({
      document: h.app.swagger(),
      send: injectSender(h.app),
      headers: bearer(token),
    });
    expect(report.failures).toEqual([]);
    expect(report.probes).toBeGreaterThan(30);
    expect(await countRows(h.admin, [SCHEMA])).toEqual(before);
  });
});

describe('the event log', () => {
  it('walks every page once, newest first, with the shared cursor', async () => {
    const now = Date.now();
    const events = Array.from({ length: 45 }, (_, i) => ({
      idempotencyKey: `p${i}`,
      type: 'page_view',
      // Pairs at the same instant: the id breaks the tie.
      occurredAt: new Date(now - Math.floor(i / 2) * 60_000).toISOString(),
    }));
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/analytics/events',
      headers: bearer(token),
      payload: { events },
    });
    expect(res.json().recorded).toBe(45);
    const items = await walkPages<{ id: string; occurredAt: string }>(
      (query) =>
        h.app.inject({ method: 'GET', url: `/v1/analytics/events?${query}`, headers: bearer(token) }),
      7,
    );
    expect(items).toHaveLength(45);
    expect(new Set(items.map((item) => item.id)).size).toBe(45);
    const times = items.map((item) => Date.parse(item.occurredAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });
});
