import { randomUUID } from 'node:crypto';
import { requestRpc } from '@conduit/bus';
import { releaseUsage, reserveUsage } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, startIdentityHarness } from '../fixtures/identity-harness.js';
import { counter, ensureSubscription, setCounter } from '../fixtures/usage-subjects.js';

let h: IdentityHarness;

beforeAll(async () => {
  h = await startIdentityHarness();
}, 60_000);
afterAll(() => h?.close(), 30_000);

const subject = () => ({ type: 'user' as const, id: randomUUID() });
type Subject = { type: 'user' | 'team'; id: string };
const reserve = (s: Subject, amount: number) =>
  requestRpc(h.bus, reserveUsage, { subject: s, items: [{ metric: 'ai_credits', amount }] });
const release = (s: Subject, amount: number, periodEnd: string) =>
  requestRpc(h.bus, releaseUsage, { subject: s, items: [{ metric: 'ai_credits', amount }], periodEnd });
/** What a release of AI credits only gave back. */
const released = (n: number) => ({ items: [{ metric: 'ai_credits', released: n }] });

describe('rpc.identity.usage.release', () => {
  it('gives back what a reservation did not use, never below zero', async () => {
    const s = subject();
    const subscriptionId = await ensureSubscription(h, s);
    const reserved = await reserve(s, 10);
    expect(reserved.granted).toBe(true);

    expect(await release(s, 4, reserved.periodEnd)).toEqual(released(4));
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 6, limit: 500 });
    expect(await release(s, 100, reserved.periodEnd)).toEqual(released(6));
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

    expect(await release(s, 10, reserved.periodEnd)).toEqual(released(0));
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 3, limit: 500 });
  });

  it('gives nothing back into a period that rolls while the release waits for the counter', async () => {
    const s = subject();
    const subscriptionId = await ensureSubscription(h, s);
    const reserved = await reserve(s, 10);
    let releasing: Promise<unknown> | undefined;
    // Another transaction holds the counter while it rolls the period and spends 7 in the new one.
    await h.admin.begin(async (tx) => {
      await tx`select used from identity.usage_counters
        where subscription_id = ${subscriptionId} and metric = 'ai_credits' for update`;
      releasing = release(s, 10, reserved.periodEnd);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await tx`update identity.user_subscriptions set period_start = period_end,
        period_end = period_end + interval '1 month' where id = ${subscriptionId}`;
      await tx`update identity.usage_counters set used = 7
        where subscription_id = ${subscriptionId} and metric = 'ai_credits'`;
    });
    expect(await releasing).toEqual(released(0));
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 7, limit: 500 });
  });

  it('keeps the counter exact under concurrent reservations and releases', async () => {
    const s = subject();
    const subscriptionId = await ensureSubscription(h, s);
    await setCounter(h, subscriptionId, 'ai_credits', { used: 50, limit: 100 });
    const { periodEnd } = await reserve(s, 1);
    await release(s, 1, periodEnd);

    const [reserved, given] = await Promise.all([
      Promise.all(Array.from({ length: 50 }, () => reserve(s, 1))),
      Promise.all(Array.from({ length: 50 }, () => release(s, 1, periodEnd))),
    ]);
    // Used never passed 100 (50 + at most 50 reservations), so every reservation was granted.
    expect(reserved.filter((a) => a.granted)).toHaveLength(50);
    expect(given.filter((a) => a.items[0]!.released === 1)).toHaveLength(50);
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 50, limit: 100 });
  });

  it('gives back several metrics in one call, each never below zero', async () => {
    const s = subject();
    const subscriptionId = await ensureSubscription(h, s);
    const reserved = await requestRpc(h.bus, reserveUsage, {
      subject: s,
      items: [
        { metric: 'messages', amount: 1 },
        { metric: 'ai_credits', amount: 10 },
      ],
    });
    const answer = await requestRpc(h.bus, releaseUsage, {
      subject: s,
      items: [
        { metric: 'ai_credits', amount: 7 },
        { metric: 'messages', amount: 5 },
      ],
      periodEnd: reserved.periodEnd,
    });
    expect(answer).toEqual({
      items: [
        { metric: 'ai_credits', released: 7 },
        { metric: 'messages', released: 1 },
      ],
    });
    expect(await counter(h, subscriptionId, 'messages')).toEqual({ used: 0, limit: 2000 });
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 3, limit: 500 });
  });

  it('keeps two counters exact under concurrent reservations and releases of both, in either order', async () => {
    const s = subject();
    const subscriptionId = await ensureSubscription(h, s);
    await setCounter(h, subscriptionId, 'messages', { used: 50, limit: 2000 });
    await setCounter(h, subscriptionId, 'ai_credits', { used: 100, limit: 500 });
    const { periodEnd } = await reserve(s, 1);
    await release(s, 1, periodEnd);
    const both = (i: number) => {
      const items = [
        { metric: 'messages' as const, amount: 1 },
        { metric: 'ai_credits' as const, amount: 2 },
      ];
      return i % 2 ? items : items.reverse();
    };

    const [reserved, given] = await Promise.all([
      Promise.all(
        Array.from({ length: 50 }, (_, i) => requestRpc(h.bus, reserveUsage, { subject: s, items: both(i) })),
      ),
      Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          requestRpc(h.bus, releaseUsage, { subject: s, items: both(i), periodEnd }),
        ),
      ),
    ]);
    expect(reserved.filter((a) => a.granted)).toHaveLength(50);
    // Each release found what it gives back: 50 messages and 100 credits were there to begin with.
    for (const answer of given)
      expect(Object.fromEntries(answer.items.map((item) => [item.metric, item.released]))).toEqual({
        messages: 1,
        ai_credits: 2,
      });
    expect(await counter(h, subscriptionId, 'messages')).toEqual({ used: 50, limit: 2000 });
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 100, limit: 500 });
  });

  it('gives back storage counted on a plan that does not limit it', async () => {
    const s = subject();
    await h.admin`insert into identity.plans (id, name, limits)
      values ('release-no-storage', 'No storage limit', '{"ai_credits": 500}') on conflict (id) do nothing`;
    const subscriptionId = await ensureSubscription(h, s, 'release-no-storage');
    const items = (amount: number) => [{ metric: 'storage_mb' as const, amount }];
    const reserved = await requestRpc(h.bus, reserveUsage, { subject: s, items: items(500) });
    expect(reserved.granted).toBe(true);
    expect(await counter(h, subscriptionId, 'storage_mb')).toEqual({ used: 500, limit: null });

    const given = await requestRpc(h.bus, releaseUsage, {
      subject: s,
      items: items(200),
      periodEnd: reserved.periodEnd,
    });
    expect(given).toEqual({ items: [{ metric: 'storage_mb', released: 200 }] });
    expect(await counter(h, subscriptionId, 'storage_mb')).toEqual({ used: 300, limit: null });
    // Never below zero.
    const rest = await requestRpc(h.bus, releaseUsage, {
      subject: s,
      items: items(1000),
      periodEnd: reserved.periodEnd,
    });
    expect(rest).toEqual({ items: [{ metric: 'storage_mb', released: 300 }] });
    expect(await counter(h, subscriptionId, 'storage_mb')).toEqual({ used: 0, limit: null });
  });

  it('gives nothing back to a subject without a subscription, and refuses a bad request', async () => {
    expect(await release(subject(), 5, new Date().toISOString())).toEqual(released(0));
    const now = new Date().toISOString();
    const credits = (amount: number) => ({ metric: 'ai_credits', amount });
    for (const body of [
      { subject: subject(), items: [credits(-5)], periodEnd: now },
      { subject: subject(), items: [credits(0)], periodEnd: now },
      { subject: subject(), items: [credits(5)], periodEnd: 'yesterday' },
      { subject: subject(), items: [{ metric: 'gold', amount: 5 }], periodEnd: now },
      { subject: subject(), items: [], periodEnd: now },
      { subject: subject(), items: [credits(1), credits(2)], periodEnd: now },
      { subject: subject(), metric: 'ai_credits', amount: 5, periodEnd: now },
    ]) {
      const reply = await h.bus.nc.request(h.bus.subject(releaseUsage.subject), JSON.stringify(body), {
        timeout: 5000,
      });
      expect(reply.json()).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    }
  });
});
