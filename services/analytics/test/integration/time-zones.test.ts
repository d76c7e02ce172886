import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalyticsHarness, bearer, startAnalyticsHarness } from '../fixtures/analytics-harness.js';

// Sign-ins just before and just after local midnight, published on identity's stream with the
// times they happened, then read as daily (and hourly) series in the viewer's time zone.
let h: AnalyticsHarness;

beforeAll(async () => {
  h = await startAnalyticsHarness();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/** A user whose sign-ins happened at the given instants; answers their token. */
async function signInsAt(instants: string[]) {
  const { token, userId } = await h.tokens.mint({ orgId: randomUUID() });
  for (const occurredAt of instants)
    await h.publish({
      subject: 'identity.user.logged_in',
      occurredAt,
      actor: { userId, sessionId: randomUUID(), orgId: null },
      data: { userId, sessionId: randomUUID(), method: 'password' },
    });
  return token;
}

async function series(token: string, query: Record<string, string>) {
  const res = await h.app.inject({
    method: 'GET',
    url: '/v1/analytics/series',
    query: { metric: 'sign_ins', ...query },
    headers: bearer(token),
  });
  expect(res.statusCode, res.body).toBe(200);
  const [only] = res.json().series as { points: { start: string; local: string; value: number }[] }[];
  return only!.points;
}

const values = (points: { local: string; value: number }[]) => points.map((p) => [p.local, p.value]);

describe('days in the viewer’s time zone', () => {
  let kolkata: string;
  let tehran: string;
  let newYork: string;

  beforeAll(async () => {
    // India: UTC+05:30, so 20 Nov 2026 begins at 19 Nov 18:30 UTC.
    kolkata = await signInsAt(['2026-11-19T18:29:59Z', '2026-11-19T18:30:00Z', '2026-11-20T18:29:00Z']);
    // Iran: UTC+03:30 all year, so 20 Nov begins at 19 Nov 20:30 UTC.
    tehran = await signInsAt(['2026-11-19T20:29:00Z', '2026-11-19T20:30:00Z', '2026-11-19T20:45:00Z']);
    // New York: on 1 Nov 2026 clocks fall back from 02:00 EDT to 01:00 EST, so that day lasts 25
    // hours, from 04:00 UTC to 05:00 UTC the next day; 8 March 2026 springs forward and lasts 23.
    newYork = await signInsAt([
      '2026-11-01T03:59:00Z', // 31 Oct 23:59 EDT
      '2026-11-01T04:00:00Z', // 1 Nov 00:00 EDT
      '2026-11-01T05:30:00Z', // 1 Nov 01:30 EDT, the first 01:30
      '2026-11-01T06:30:00Z', // 1 Nov 01:30 EST, the second
      '2026-11-02T04:59:00Z', // 1 Nov 23:59 EST: still the first
      '2026-11-02T05:00:00Z', // 2 Nov 00:00 EST
      '2026-03-09T03:59:00Z', // 8 Mar 23:59 EDT
      '2026-03-09T04:00:00Z', // 9 Mar 00:00 EDT
    ]);
    await h.waitForEvents(14);
  });

  it('Asia/Kolkata (UTC+05:30): the minute before midnight is the day before', async () => {
    const points = await series(kolkata, {
      from: '2026-11-19T00:00:00+05:30',
      to: '2026-11-22T00:00:00+05:30',
      tz: 'Asia/Kolkata',
    });
    expect(values(points)).toEqual([
      ['2026-11-19T00:00', 1],
      ['2026-11-20T00:00', 2],
      ['2026-11-21T00:00', 0],
    ]);
    expect(points[1]!.start).toBe('2026-11-19T18:30:00.000Z');
    // Hours are local hours too: they begin at half past in UTC.
    const hours = await series(kolkata, {
      from: '2026-11-19T23:00:00+05:30',
      to: '2026-11-20T01:00:00+05:30',
      tz: 'Asia/Kolkata',
      interval: 'hour',
    });
    expect(values(hours)).toEqual([
      ['2026-11-19T23:00', 1],
      ['2026-11-20T00:00', 1],
    ]);
  });

  it('Asia/Tehran (UTC+03:30): days begin at half past eight in the evening UTC', async () => {
    const points = await series(tehran, {
      from: '2026-11-19T00:00:00+03:30',
      to: '2026-11-21T00:00:00+03:30',
      tz: 'Asia/Tehran',
    });
    expect(values(points)).toEqual([
      ['2026-11-19T00:00', 1],
      ['2026-11-20T00:00', 2],
    ]);
    expect(points[1]!.start).toBe('2026-11-19T20:30:00.000Z');
  });

  it('America/New_York: the 25-hour day of the autumn change and the 23-hour day of the spring one', async () => {
    const autumn = await series(newYork, {
      from: '2026-10-31T00:00:00-04:00',
      to: '2026-11-03T00:00:00-05:00',
      tz: 'America/New_York',
    });
    expect(values(autumn)).toEqual([
      ['2026-10-31T00:00', 1],
      ['2026-11-01T00:00', 4],
      ['2026-11-02T00:00', 1],
    ]);
    expect(autumn.map((p) => p.start)).toEqual([
      '2026-10-31T04:00:00.000Z',
      '2026-11-01T04:00:00.000Z',
      '2026-11-02T05:00:00.000Z',
    ]);
    // The night's hours, the repeated 01:00 twice, one sign-in in each.
    const night = await series(newYork, {
      from: '2026-11-01T00:00:00-04:00',
      to: '2026-11-01T03:00:00-05:00',
      tz: 'America/New_York',
      interval: 'hour',
    });
    expect(values(night)).toEqual([
      ['2026-11-01T00:00', 1],
      ['2026-11-01T01:00', 1],
      ['2026-11-01T01:00', 1],
      ['2026-11-01T02:00', 0],
    ]);
    const spring = await series(newYork, {
      from: '2026-03-08T00:00:00-05:00',
      to: '2026-03-10T00:00:00-04:00',
      tz: 'America/New_York',
    });
    expect(values(spring)).toEqual([
      ['2026-03-08T00:00', 1],
      ['2026-03-09T00:00', 1],
    ]);
    expect(spring[1]!.start).toBe('2026-03-09T04:00:00.000Z');
  });

  it('weeks and months follow the local calendar, and UTC is the default', async () => {
    const months = await series(newYork, {
      from: '2026-03-01T00:00:00-05:00',
      to: '2026-12-01T00:00:00-05:00',
      tz: 'America/New_York',
      interval: 'month',
    });
    expect(months).toHaveLength(9);
    expect(months.find((p) => p.local === '2026-10-01T00:00')!.value).toBe(1);
    expect(months.find((p) => p.local === '2026-11-01T00:00')!.value).toBe(5);
    expect(months.find((p) => p.local === '2026-03-01T00:00')!.value).toBe(2);
    const utcDays = await series(kolkata, { from: '2026-11-19T00:00:00Z', to: '2026-11-21T00:00:00Z' });
    expect(values(utcDays)).toEqual([
      ['2026-11-19T00:00', 2],
      ['2026-11-20T00:00', 1],
    ]);
  });
});
