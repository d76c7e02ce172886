import { randomUUID } from 'node:crypto';
import { uuidv7 } from '@conduit/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePartitions, pruneEvents } from '../../src/domain/retention/retention.js';
import { type AnalyticsHarness, startAnalyticsHarness } from '../fixtures/analytics-harness.js';

let h: AnalyticsHarness;
const DAY = 86_400_000;

beforeAll(async () => {
  h = await startAnalyticsHarness();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const monthlyPartitions = async () =>
  (
    await h.admin`select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'analytics.user_analytics'::regclass and c.relname <> 'user_analytics_default'`
  ).map((row) => row.relname as string);

describe('retention', () => {
  it('schedules the upkeep jobs when the worker starts', async () => {
    const schedulers = await h.deps.jobs.queue.getJobSchedulers();
    expect(schedulers.map((s) => s.key ?? s.name).sort()).toEqual(['ensure-partitions', 'prune-events']);
  });

  it('does not record an event older than the retention window', async () => {
    const userId = randomUUID();
    const ancient = uuidv7();
    const fresh = uuidv7();
    const actor = { userId, sessionId: null, orgId: null };
    await h.publish({
      id: ancient,
      subject: 'identity.user.logged_in',
      actor,
      occurredAt: new Date(Date.now() - 500 * DAY).toISOString(),
      data: {},
    });
    await h.publish({ id: fresh, subject: 'identity.user.logged_in', actor, data: {} });
    await h.waitForNoLag();
    const ids = (await h.admin`select id from analytics.user_analytics where user_id = ${userId}`).map(
      (r) => r.id,
    );
    expect(ids).toEqual([fresh]);
  });

  it('prunes events past EVENT_RETENTION (whole months at once) and counters past ROLLUP_RETENTION', async () => {
    const userId = randomUUID();
    const actor = { userId, sessionId: null, orgId: null };
    const ages = [1 / 24, 5, 40, 70];
    for (const age of ages)
      await h.publish({
        subject: 'identity.user.logged_in',
        actor,
        occurredAt: new Date(Date.now() - age * DAY).toISOString(),
        data: {},
      });
    await h.waitForNoLag();
    expect(await h.admin`select 1 from analytics.user_analytics where user_id = ${userId}`).toHaveLength(4);
    expect(await monthlyPartitions()).toHaveLength(5);

    const now = new Date();
    const settings = { ...h.env, EVENT_RETENTION: 20 * DAY, ROLLUP_RETENTION: 60 * DAY };
    const removed = await pruneEvents({ db: h.deps.db, env: settings }, now);
    expect(removed).toBeGreaterThanOrEqual(2);
    const left =
      await h.admin`select occurred_at from analytics.user_analytics where user_id = ${userId} order by occurred_at`;
    expect(left.map((row) => Math.round((now.getTime() - row.occurred_at.getTime()) / DAY))).toEqual([5, 0]);
    expect(
      await h.admin`select 1 from analytics.event_keys where occurred_at < ${new Date(now.getTime() - 20 * DAY)}`,
    ).toHaveLength(0);
    // Counters outlive the events: the 40-day-old sign-in is still counted, the 70-day-old one not.
    const counted =
      await h.admin`select bucket from analytics.rollups where user_id = ${userId} and dimension = '' order by bucket`;
    expect(counted.map((row) => Math.round((now.getTime() - row.bucket.getTime()) / DAY))).toEqual([
      40, 5, 0,
    ]);
    // No monthly partition that ended before the cutoff is left.
    const cutoff = now.getTime() - 20 * DAY;
    for (const name of await monthlyPartitions()) {
      const [year, month] = name.slice('user_analytics_'.length).split('_').map(Number);
      expect(Date.UTC(year!, month!, 1)).toBeGreaterThan(cutoff);
    }
  });

  it('makes the missing monthly partitions, and nothing when they exist', async () => {
    await ensurePartitions(h.deps);
    expect(await ensurePartitions(h.deps)).toBe(0);
    expect((await monthlyPartitions()).length).toBeGreaterThanOrEqual(4);
  });
});
