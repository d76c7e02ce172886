import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalyticsHarness, bearer, startAnalyticsHarness } from '../fixtures/analytics-harness.js';
import { recount } from '../fixtures/recount.js';

let h: AnalyticsHarness;

beforeAll(async () => {
  h = await startAnalyticsHarness({ worker: false, env: { CLIENT_BATCHES_PER_WINDOW: '6' } });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const HOUR = 3_600_000;
const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

async function post(token: string, events: unknown[]) {
  return h.app.inject({
    method: 'POST',
    url: '/v1/analytics/events',
    headers: bearer(token),
    payload: { events },
  });
}

async function total(token: string, metric: string, from: string, to: string) {
  const res = await h.app.inject({
    method: 'GET',
    url: '/v1/analytics/totals',
    query: { metrics: metric, from, to },
    headers: bearer(token),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().totals[metric] as number;
}

describe('client events', () => {
  it('records a batch once: a replay of it counts nothing', async () => {
    const { token } = await h.tokens.mint({ orgId: randomUUID() });
    const batch = [
      { idempotencyKey: 'a', type: 'page_view', name: '/pricing', occurredAt: at(-60_000) },
      {
        idempotencyKey: 'b',
        type: 'click',
        name: 'buy',
        occurredAt: at(-30_000),
        properties: { plan: 'pro' },
      },
      { idempotencyKey: 'c', type: 'custom', name: 'trial-started', occurredAt: at(-1000) },
      { idempotencyKey: 'c', type: 'custom', name: 'trial-started', occurredAt: at(-1000) },
    ];
    const first = await post(token, batch);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ received: 4, recorded: 3, duplicates: 1, clamped: 0, refused: [] });
    const replay = await post(token, batch);
    expect(replay.json()).toMatchObject({ recorded: 0, duplicates: 4 });
    const from = at(-HOUR);
    const to = at(HOUR);
    expect(await total(token, 'page_views', from, to)).toBe(1);
    expect(await total(token, 'clicks', from, to)).toBe(1);
    expect(await total(token, 'custom_events', from, to)).toBe(1);
    const log = await h.app.inject({
      method: 'GET',
      url: '/v1/analytics/events',
      query: { eventType: 'client.click' },
      headers: bearer(token),
    });
    expect(log.json().items).toMatchObject([
      { source: 'client', data: { idempotencyKey: 'b', name: 'buy', properties: { plan: 'pro' } } },
    ]);
  });

  it('clamps a clock more than a day ahead to the arrival and flags it; a late event lands in its own bucket', async () => {
    const { token, userId } = await h.tokens.mint();
    const threeDaysAgo = at(-72 * HOUR);
    const res = await post(token, [
      { idempotencyKey: 'future', type: 'page_view', occurredAt: at(48 * HOUR) },
      { idempotencyKey: 'soon', type: 'page_view', occurredAt: at(12 * HOUR) },
      { idempotencyKey: 'late', type: 'page_view', occurredAt: threeDaysAgo },
      { idempotencyKey: 'too-late', type: 'page_view', occurredAt: at(-8 * 24 * HOUR) },
      { idempotencyKey: 'team', type: 'click', occurredAt: at(0), teamId: randomUUID() },
    ]);
    expect(res.json()).toEqual({
      received: 5,
      recorded: 3,
      duplicates: 0,
      clamped: 1,
      refused: [
        { index: 3, reason: 'too_old' },
        { index: 4, reason: 'not_a_team_member' },
      ],
    });
    const rows = await h.admin`
      select event_data->>'idempotencyKey' as key, occurred_at, received_at, clock_skewed
      from analytics.user_analytics where user_id = ${userId} order by key`;
    const byKey = Object.fromEntries(rows.map((row) => [row.key, row]));
    expect(byKey.future).toMatchObject({ clock_skewed: true });
    expect(byKey.future!.occurred_at.getTime()).toBe(byKey.future!.received_at.getTime());
    expect(byKey.soon).toMatchObject({ clock_skewed: false });
    expect(byKey.late!.occurred_at.toISOString()).toBe(threeDaysAgo);
    // The late event is in the day it happened, not the day it arrived.
    const dayOf = threeDaysAgo.slice(0, 10);
    const series = await h.app.inject({
      method: 'GET',
      url: '/v1/analytics/series',
      query: { metric: 'page_views', from: `${dayOf}T00:00:00Z`, to: at(2 * 24 * HOUR), interval: 'day' },
      headers: bearer(token),
    });
    expect(series.json().series[0].points[0]).toMatchObject({ local: `${dayOf}T00:00`, value: 1 });
    expect((await recount(h.admin)).mismatches).toEqual([]);
  });

  it('refuses a batch over 500 events, an empty one, and a body over the limit, recording nothing', async () => {
    const { token, userId } = await h.tokens.mint();
    const event = (i: number) => ({ idempotencyKey: `k${i}`, type: 'click', occurredAt: at(0) });
    const tooMany = await post(
      token,
      Array.from({ length: 501 }, (_, i) => event(i)),
    );
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.headers['content-type']).toContain('application/problem+json');
    expect((await post(token, [])).statusCode).toBe(400);
    const huge = await post(
      token,
      Array.from({ length: 500 }, (_, i) => ({
        ...event(i),
        name: 'x'.repeat(190),
        properties: { p: 'y'.repeat(1900) },
      })),
    );
    expect(huge.statusCode).toBe(413);
    const unknownField = await post(token, [{ ...event(1), secret: 1 }]);
    expect(unknownField.statusCode).toBe(400);
    expect(await h.admin`select 1 from analytics.user_analytics where user_id = ${userId}`).toHaveLength(0);
  });

  it('limits batches per user, with Retry-After, without slowing anyone else', async () => {
    const busy = await h.tokens.mint();
    const other = await h.tokens.mint();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push(
        (await post(busy.token, [{ idempotencyKey: `r${i}`, type: 'click', occurredAt: at(0) }])).statusCode,
      );
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);
    const limited = await post(busy.token, [{ idempotencyKey: 'again', type: 'click', occurredAt: at(0) }]);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json().code).toBe('rate_limited');
    expect(
      (await post(other.token, [{ idempotencyKey: 'x', type: 'click', occurredAt: at(0) }])).statusCode,
    ).toBe(200);
  });
});
