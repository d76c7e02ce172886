import { randomUUID } from 'node:crypto';
import { createLogger } from '@conduit/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseUsage } from '../../src/domain/usage/release-usage.js';
import { reserveUsage } from '../../src/domain/usage/reserve-usage.js';
import { rollUsagePeriodsJob } from '../../src/jobs/processors/roll-usage-periods.js';
import { type IdentityHarness, startIdentityHarness } from '../fixtures/identity-harness.js';
import { counter, ensureSubscription, setCounter } from '../fixtures/usage-subjects.js';

// storage_mb is a gauge of what is kept: a period roll leaves it, a release gives it back in any
// period, and a plan change keeps it. It is counted on every plan, also one that does not limit it
// (limit NULL), so a move to a plan that limits it is judged against what is really stored. The
// per-period metrics beside it still roll, and one a plan does not limit is not counted.

let h: IdentityHarness;
const log = createLogger({ service: 'storage-gauge-test', level: 'silent' });
beforeAll(async () => {
  h = await startIdentityHarness();
}, 60_000);
afterAll(() => h?.close(), 30_000);

/** What a plan change does (changePlan): the plan, then its limits. */
const changePlanTo = async (subscriptionId: string, planId: string) => {
  await h.admin`update identity.user_subscriptions set plan_id = ${planId} where id = ${subscriptionId}`;
  await h.admin`select identity.apply_plan_limits(${subscriptionId})`;
};

const endPeriod = (subscriptionId: string) => h.admin`update identity.user_subscriptions
  set period_start = now() - interval '1 month 1 day', period_end = now() - interval '1 day'
  where id = ${subscriptionId}`;

describe('storage_mb, a gauge', () => {
  it('is not zeroed when the period rolls, while executions are', async () => {
    const subject = { type: 'user' as const, id: randomUUID() };
    const subscriptionId = await ensureSubscription(h, subject);
    await setCounter(h, subscriptionId, 'storage_mb', { used: 90, limit: 100 });
    await setCounter(h, subscriptionId, 'executions', { used: 700, limit: 1000 });
    await endPeriod(subscriptionId);
    expect(await rollUsagePeriodsJob({ db: h.deps.db, log })).toMatchObject({ rolled: 1 });
    expect(await counter(h, subscriptionId, 'storage_mb')).toEqual({ used: 90, limit: 100 });
    expect(await counter(h, subscriptionId, 'executions')).toEqual({ used: 0, limit: 1000 });

    // So the new period does not make room for more than the plan keeps.
    const refused = await reserveUsage(h.deps.db, { subject, items: [{ metric: 'storage_mb', amount: 20 }] });
    expect(refused).toMatchObject({ granted: false, refused: 'storage_mb', items: [{ remaining: 10 }] });
  });

  it('is given back by a release naming an earlier period, unlike a per-period metric', async () => {
    const subject = { type: 'team' as const, id: randomUUID() };
    const subscriptionId = await ensureSubscription(h, subject);
    const granted = await reserveUsage(h.deps.db, {
      subject,
      items: [
        { metric: 'storage_mb', amount: 60 },
        { metric: 'executions', amount: 5 },
      ],
    });
    expect(granted.granted).toBe(true);
    await endPeriod(subscriptionId);
    await rollUsagePeriodsJob({ db: h.deps.db, log });
    expect(await counter(h, subscriptionId, 'storage_mb')).toMatchObject({ used: 60 });

    // The file is deleted a month later: its space comes back; last month's executions do not.
    const released = await releaseUsage(h.deps.db, {
      subject,
      items: [
        { metric: 'storage_mb', amount: 60 },
        { metric: 'executions', amount: 5 },
      ],
      periodEnd: granted.periodEnd,
    });
    expect(released.items).toEqual([
      { metric: 'storage_mb', released: 60 },
      { metric: 'executions', released: 0 },
    ]);
    expect(await counter(h, subscriptionId, 'storage_mb')).toMatchObject({ used: 0 });
    // Never below zero.
    const again = await releaseUsage(h.deps.db, {
      subject,
      items: [{ metric: 'storage_mb', amount: 60 }],
      periodEnd: granted.periodEnd,
    });
    expect(again.items).toEqual([{ metric: 'storage_mb', released: 0 }]);
  });

  it('keeps counting on a plan that does not limit storage, and a move back is judged against what is stored', async () => {
    const subject = { type: 'user' as const, id: randomUUID() };
    const subscriptionId = await ensureSubscription(h, subject);
    await reserveUsage(h.deps.db, { subject, items: [{ metric: 'storage_mb', amount: 40 }] });
    await h.admin`insert into identity.plans (id, name, limits)
      values ('no-storage-test', 'No storage', '{"executions": 10, "messages": 10, "ai_credits": 10}')
      on conflict (id) do nothing`;
    await changePlanTo(subscriptionId, 'no-storage-test');
    // The counter stays, unlimited (not a limit of 0): what is stored is kept in it.
    expect(await counter(h, subscriptionId, 'storage_mb')).toEqual({ used: 40, limit: null });

    // Uploads go through, however large, and are counted; a release gives back as usual.
    const granted = await reserveUsage(h.deps.db, {
      subject,
      items: [{ metric: 'storage_mb', amount: 150 }],
    });
    expect(granted).toMatchObject({
      granted: true,
      refused: null,
      items: [{ metric: 'storage_mb', remaining: null, limit: null }],
    });
    expect(await counter(h, subscriptionId, 'storage_mb')).toEqual({ used: 190, limit: null });
    const released = await releaseUsage(h.deps.db, {
      subject,
      items: [{ metric: 'storage_mb', amount: 30 }],
      periodEnd: granted.periodEnd,
    });
    expect(released.items).toEqual([{ metric: 'storage_mb', released: 30 }]);
    expect(await counter(h, subscriptionId, 'storage_mb')).toEqual({ used: 160, limit: null });

    // Back on the free plan (100 MB), 160 MB are stored: nothing more fits until 61 MB are freed.
    await changePlanTo(subscriptionId, 'free');
    expect(await counter(h, subscriptionId, 'storage_mb')).toEqual({ used: 160, limit: 100 });
    const refused = await reserveUsage(h.deps.db, { subject, items: [{ metric: 'storage_mb', amount: 1 }] });
    expect(refused).toMatchObject({
      granted: false,
      refused: 'storage_mb',
      items: [{ remaining: 0, limit: 100 }],
    });
    await releaseUsage(h.deps.db, {
      subject,
      items: [{ metric: 'storage_mb', amount: 61 }],
      periodEnd: granted.periodEnd,
    });
    const fits = await reserveUsage(h.deps.db, { subject, items: [{ metric: 'storage_mb', amount: 1 }] });
    expect(fits).toMatchObject({ granted: true, items: [{ remaining: 0, limit: 100 }] });
  });

  it('is counted from the start on a plan that does not limit it, unlike a per-period metric', async () => {
    await h.admin`insert into identity.plans (id, name, limits)
      values ('storage-only-test', 'Storage not limited', '{"executions": 10}')
      on conflict (id) do nothing`;
    const subject = { type: 'team' as const, id: randomUUID() };
    const subscriptionId = await ensureSubscription(h, subject, 'storage-only-test');
    expect(await counter(h, subscriptionId, 'storage_mb')).toEqual({ used: 0, limit: null });

    const answer = await reserveUsage(h.deps.db, {
      subject,
      items: [
        { metric: 'storage_mb', amount: 5 },
        { metric: 'messages', amount: 5 },
      ],
    });
    expect(answer).toMatchObject({
      granted: true,
      items: [
        { metric: 'storage_mb', remaining: null, limit: null },
        { metric: 'messages', remaining: null, limit: null },
      ],
    });
    expect(await counter(h, subscriptionId, 'storage_mb')).toEqual({ used: 5, limit: null });
    const [messages] = await h.admin<{ n: number }[]>`select count(*)::int as n from identity.usage_counters
      where subscription_id = ${subscriptionId} and metric = 'messages'`;
    expect(messages!.n).toBe(0);
  });

  it('gets its counter back at the next reservation when it is missing, and counts it', async () => {
    const subject = { type: 'user' as const, id: randomUUID() };
    const subscriptionId = await ensureSubscription(h, subject);
    await h.admin`delete from identity.usage_counters
      where subscription_id = ${subscriptionId} and metric = 'storage_mb'`;
    const answer = await reserveUsage(h.deps.db, { subject, items: [{ metric: 'storage_mb', amount: 7 }] });
    expect(answer).toMatchObject({ granted: true, items: [{ remaining: 93, limit: 100 }] });
    expect(await counter(h, subscriptionId, 'storage_mb')).toEqual({ used: 7, limit: 100 });
  });

  it('refuses a NULL limit on a per-period counter (only a gauge may be unlimited)', async () => {
    const subscriptionId = await ensureSubscription(h, { type: 'user', id: randomUUID() });
    const error = await h.admin`update identity.usage_counters set "limit" = null
      where subscription_id = ${subscriptionId} and metric = 'executions'`.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '23514' });
  });
});
