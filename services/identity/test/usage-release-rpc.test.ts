import { randomUUID } from 'node:crypto';
import { requestRpc } from '@conduit/bus';
import { releaseUsage, reserveUsage } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, startIdentityHarness } from './fixtures/identity-harness.js';
import { counter, ensureSubscription, setCounter } from './fixtures/usage-subjects.js';

let h: IdentityHarness;

beforeAll(async () => {
  h = await startIdentityHarness();
}, 60_000);
afterAll(() => h?.close(), 30_000);

const subject = () => ({ type: 'user' as const, id: randomUUID() });
const reserve = (s: { type: 'user' | 'team'; id: string }, amount: number) =>
  requestRpc(h.bus, reserveUsage, { subject: s, metric: 'ai_credits', amount });
const release = (s: { type: 'user' | 'team'; id: string }, amount: number, periodEnd: string) =>
  requestRpc(h.bus, releaseUsage, { subject: s, metric: 'ai_credits', amount, periodEnd });

describe('rpc.identity.usage.release', () => {
  it('gives back what a reservation did not use, never below zero', async () => {
    const s = subject();
    const subscriptionId = await ensureSubscription(h, s);
    const reserved = await reserve(s, 10);
    expect(reserved.granted).toBe(true);

    expect(await release(s, 4, reserved.periodEnd!)).toEqual({ released: 4 });
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 6, limit: 500 });
    expect(await release(s, 100, reserved.periodEnd!)).toEqual({ released: 6 });
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 0, limit: 500 });
    expect((await reserve(s, 500)).granted).toBe(true);
  });

  it('gives nothing back into a period that has rolled since the reservation', async () => {
    const s = subject();
    const subscriptionId = await ensureSubscription(h, s);
    const reserved = await reserve(s, 10);
    // The period rolls (as the worker would): a new period, its counter started again.
    await h.admin`update identity.user_subscriptions set period_start = period_end,
      period_end = period_end + interval '1 month' where id = ${subscriptionId}`;
    await setCounter(h, subscriptionId, 'ai_credits', { used: 3, limit: 500 });

    expect(await release(s, 10, reserved.periodEnd!)).toEqual({ released: 0 });
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 3, limit: 500 });
  });

  it('gives nothing back into a period that rolls while the release waits for the counter', async () => {
    const s = subject();
    const subscriptionId = await ensureSubscription(h, s);
    const reserved = await reserve(s, 10);
    let released: Promise<unknown> | undefined;
    // Another transaction holds the counter while it rolls the period and spends 7 in the new one.
    await h.admin.begin(async (tx) => {
      await tx`select used from identity.usage_counters
        where subscription_id = ${subscriptionId} and metric = 'ai_credits' for update`;
      released = release(s, 10, reserved.periodEnd!);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await tx`update identity.user_subscriptions set period_start = period_end,
        period_end = period_end + interval '1 month' where id = ${subscriptionId}`;
      await tx`update identity.usage_counters set used = 7
        where subscription_id = ${subscriptionId} and metric = 'ai_credits'`;
    });
    expect(await released).toEqual({ released: 0 });
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 7, limit: 500 });
  });

  it('keeps the counter exact under concurrent reservations and releases', async () => {
    const s = subject();
    const subscriptionId = await ensureSubscription(h, s);
    await setCounter(h, subscriptionId, 'ai_credits', { used: 50, limit: 100 });
    const { periodEnd } = await reserve(s, 1);
    await release(s, 1, periodEnd!);

    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? reserve(s, 1) : release(s, 1, periodEnd!))),
    );
    // Used never passed 100 (50 + at most 50 reservations), so every reservation was granted.
    expect(answers.filter((a) => 'granted' in a && a.granted)).toHaveLength(50);
    expect(answers.filter((a) => 'released' in a && a.released === 1)).toHaveLength(50);
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 50, limit: 100 });
  });

  it('gives nothing back to a subject without a subscription, and refuses a bad request', async () => {
    expect(await release(subject(), 5, new Date().toISOString())).toEqual({ released: 0 });
    for (const body of [
      { subject: subject(), metric: 'ai_credits', amount: -5, periodEnd: new Date().toISOString() },
      { subject: subject(), metric: 'ai_credits', amount: 0, periodEnd: new Date().toISOString() },
      { subject: subject(), metric: 'ai_credits', amount: 5, periodEnd: 'yesterday' },
      { subject: subject(), metric: 'gold', amount: 5, periodEnd: new Date().toISOString() },
    ]) {
      const reply = await h.bus.nc.request(h.bus.subject(releaseUsage.subject), JSON.stringify(body), {
        timeout: 5000,
      });
      expect(reply.json()).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    }
  });
});
