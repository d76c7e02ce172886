import { randomUUID } from 'node:crypto';
import { createLogger } from '@conduit/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseUsage } from '../../src/domain/usage/release-usage.js';
import { reserveUsage } from '../../src/domain/usage/reserve-usage.js';
import { rollUsagePeriodsJob } from '../../src/jobs/processors/roll-usage-periods.js';
import { type IdentityHarness, startIdentityHarness } from '../fixtures/identity-harness.js';
import { counter, ensureSubscription, setCounter } from '../fixtures/usage-subjects.js';

// storage_mb is a gauge of what is kept: a period roll leaves it, a release gives it back in any
// period, and a plan change keeps it. The per-period metrics beside it still roll.

let h: IdentityHarness;
const log = createLogger({ service: 'storage-gauge-test', level: 'silent' });
beforeAll(async () => {
  h = await startIdentityHarness();
}, 60_000);
afterAll(() => h?.close(), 30_000);

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

  it('keeps what is stored across plan changes, with no room on a plan without storage', async () => {
    const subject = { type: 'user' as const, id: randomUUID() };
    const subscriptionId = await ensureSubscription(h, subject);
    await reserveUsage(h.deps.db, { subject, items: [{ metric: 'storage_mb', amount: 40 }] });
    await h.admin`insert into identity.plans (id, name, limits)
      values ('no-storage-test', 'No storage', '{"executions": 10, "messages": 10, "ai_credits": 10}')
      on conflict (id) do nothing`;
    await h.admin`update identity.user_subscriptions set plan_id = 'no-storage-test' where id = ${subscriptionId}`;
    await h.admin`select identity.apply_plan_limits(${subscriptionId})`;
    expect(await counter(h, subscriptionId, 'storage_mb')).toEqual({ used: 40, limit: 0 });
    const refused = await reserveUsage(h.deps.db, { subject, items: [{ metric: 'storage_mb', amount: 1 }] });
    expect(refused.granted).toBe(false);

    await h.admin`update identity.user_subscriptions set plan_id = 'pro' where id = ${subscriptionId}`;
    await h.admin`select identity.apply_plan_limits(${subscriptionId})`;
    expect(await counter(h, subscriptionId, 'storage_mb')).toEqual({ used: 40, limit: 10240 });
  });
});
