import { randomUUID } from 'node:crypto';
import { requestRpc } from '@conduit/bus';
import { releaseUsage, reserveUsage, type UsageItem } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { creditsOf, grantCredits, ledgerOf } from '../fixtures/credits.js';
import { type IdentityHarness, startIdentityHarness } from '../fixtures/identity-harness.js';
import { counter, ensureSubscription, setCounter } from '../fixtures/usage-subjects.js';

/**
 * AI credits beside the plan's quota through the usage RPCs: the quota is spent first, then the
 * credit balance; a release gives the balance back first; the balance always equals its ledger.
 */
let h: IdentityHarness;

beforeAll(async () => {
  h = await startIdentityHarness();
}, 60_000);
afterAll(() => h?.close(), 30_000);

type Subject = { type: 'user' | 'team'; id: string };
const reserveItems = (s: Subject, items: UsageItem[]) =>
  requestRpc(h.bus, reserveUsage, { subject: s, items });
const reserveCredits = (s: Subject, amount: number) => reserveItems(s, [{ metric: 'ai_credits', amount }]);
const release = (s: Subject, amount: number, periodEnd: string, reservationId?: string) =>
  requestRpc(h.bus, releaseUsage, {
    subject: s,
    items: [{ metric: 'ai_credits', amount }],
    periodEnd,
    ...(reservationId ? { reservationId } : {}),
  });

/** A user subject on the free plan whose AI-credit quota is at `used` of `limit`, with `credits`. */
async function subjectWith(options: { used: number; limit: number; credits: number }) {
  const s = { type: 'user' as const, id: randomUUID() };
  const subscriptionId = await ensureSubscription(h, s);
  await setCounter(h, subscriptionId, 'ai_credits', { used: options.used, limit: options.limit });
  if (options.credits > 0) await grantCredits(h, s, options.credits);
  return { s, subscriptionId };
}

describe('reserving AI credits beside the quota', () => {
  it('spends the quota first and leaves the credits alone while it lasts', async () => {
    const { s, subscriptionId } = await subjectWith({ used: 0, limit: 100, credits: 50 });
    const answer = await reserveCredits(s, 30);
    expect(answer).toMatchObject({
      granted: true,
      items: [{ metric: 'ai_credits', remaining: 70, limit: 100, credits: 50 }],
    });
    expect(answer.reservationId).toBeUndefined();
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 30, limit: 100 });
    expect(await creditsOf(h, s)).toEqual({ balance: 50, ledger: 50 });
  });

  it('draws the part over the quota from the credits, and records it in the ledger', async () => {
    const { s, subscriptionId } = await subjectWith({ used: 95, limit: 100, credits: 20 });
    const answer = await reserveItems(s, [
      { metric: 'messages', amount: 1 },
      { metric: 'ai_credits', amount: 12 },
    ]);
    expect(answer).toMatchObject({
      granted: true,
      refused: null,
      items: [
        { metric: 'messages', remaining: 1999, limit: 2000 },
        { metric: 'ai_credits', remaining: 0, limit: 100, credits: 13 },
      ],
    });
    expect(answer.items[0]).not.toHaveProperty('credits');
    expect(answer.reservationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 100, limit: 100 });
    expect(await creditsOf(h, s)).toEqual({ balance: 13, ledger: 13 });
    expect((await ledgerOf(h, s)).map((row) => [row.kind, Number(row.amount), row.reservation_id])).toEqual([
      ['top_up', 20, null],
      ['spend', -7, answer.reservationId],
    ]);
  });

  it('refuses (and changes nothing) when quota and credits together do not cover the amount', async () => {
    const { s, subscriptionId } = await subjectWith({ used: 98, limit: 100, credits: 5 });
    const answer = await reserveItems(s, [
      { metric: 'messages', amount: 1 },
      { metric: 'ai_credits', amount: 8 },
    ]);
    expect(answer).toMatchObject({
      granted: false,
      refused: 'ai_credits',
      items: [
        { metric: 'messages', remaining: 2000 },
        { metric: 'ai_credits', remaining: 2, limit: 100, credits: 5 },
      ],
    });
    expect(answer.reservationId).toBeUndefined();
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 98, limit: 100 });
    expect(await counter(h, subscriptionId, 'messages')).toEqual({ used: 0, limit: 2000 });
    expect(await creditsOf(h, s)).toEqual({ balance: 5, ledger: 5 });

    // Exactly what is left of both fits.
    expect(await reserveCredits(s, 7)).toMatchObject({
      granted: true,
      items: [{ remaining: 0, credits: 0 }],
    });
    // Both exhausted: refused, as it is for a subject that never had credits.
    expect(await reserveCredits(s, 1)).toMatchObject({ granted: false, refused: 'ai_credits' });
    const { s: none } = await subjectWith({ used: 100, limit: 100, credits: 0 });
    expect(await reserveCredits(none, 1)).toMatchObject({
      granted: false,
      items: [{ remaining: 0, credits: 0 }],
    });
    expect(await creditsOf(h, s)).toEqual({ balance: 0, ledger: 0 });
  });

  it('never overspends under 200 concurrent reservations: exactly quota + credits are granted', async () => {
    const { s, subscriptionId } = await subjectWith({ used: 90, limit: 100, credits: 50 });
    const answers = await Promise.all(Array.from({ length: 200 }, () => reserveCredits(s, 1)));

    const granted = answers.filter((a) => a.granted);
    expect(granted).toHaveLength(60);
    // The first ten came from the quota, the next fifty from the credits, each drawn once.
    expect(granted.filter((a) => a.reservationId)).toHaveLength(50);
    expect(new Set(granted.map((a) => a.reservationId).filter(Boolean)).size).toBe(50);
    expect(granted.map((a) => a.items[0]!.credits).sort((a, b) => a! - b!)).toEqual([
      ...Array.from({ length: 50 }, (_, i) => i),
      ...Array.from({ length: 10 }, () => 50),
    ]);
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 100, limit: 100 });
    expect(await creditsOf(h, s)).toEqual({ balance: 0, ledger: 0 });
  });

  it('keeps balance and ledger equal under concurrent reservations, releases and top-ups', async () => {
    const { s, subscriptionId } = await subjectWith({ used: 100, limit: 100, credits: 1000 });
    const work = Array.from({ length: 60 }, async (_, i) => {
      if (i % 6 === 0) return grantCredits(h, s, 3);
      const answer = await reserveCredits(s, 4);
      if (answer.granted && i % 2 === 0) await release(s, 3, answer.periodEnd, answer.reservationId);
    });
    await Promise.all(work);
    const { balance, ledger } = await creditsOf(h, s);
    expect(balance).toBe(ledger);
    expect(balance).toBeGreaterThanOrEqual(0);
    // 10 top-ups of 3, 50 reservations of 4 (all fit), 20 of them giving back 3:
    // 1000 + 30 - 200 + 60.
    expect(balance).toBe(890);
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 100, limit: 100 });
  });
});

describe('a plan that does not limit AI credits', () => {
  it('grants them without drawing on the bought credits', async () => {
    const s = { type: 'user' as const, id: randomUUID() };
    const subscriptionId = await ensureSubscription(h, s);
    await h.admin`delete from identity.usage_counters where subscription_id = ${subscriptionId} and metric = 'ai_credits'`;
    await grantCredits(h, s, 10);
    const answer = await reserveCredits(s, 25);
    expect(answer).toMatchObject({
      granted: true,
      items: [{ metric: 'ai_credits', remaining: null, limit: null, credits: 10 }],
    });
    expect(answer.reservationId).toBeUndefined();
    expect(await creditsOf(h, s)).toEqual({ balance: 10, ledger: 10 });
    // A per-period metric the plan does not limit is counted nowhere (unlike storage, a gauge).
    const [kept] = await h.admin<{ n: number }[]>`select count(*)::int as n from identity.usage_counters
      where subscription_id = ${subscriptionId} and metric = 'ai_credits'`;
    expect(kept!.n).toBe(0);
  });
});

describe('releasing AI credits drawn from the balance', () => {
  it('gives the credits back first, then the quota, exactly as spent', async () => {
    const { s, subscriptionId } = await subjectWith({ used: 95, limit: 100, credits: 20 });
    const reserved = await reserveCredits(s, 12); // 5 from the quota, 7 from the credits
    expect(await creditsOf(h, s)).toEqual({ balance: 13, ledger: 13 });

    const back = await release(s, 9, reserved.periodEnd, reserved.reservationId);
    expect(back).toEqual({ items: [{ metric: 'ai_credits', released: 9, toCredits: 7 }] });
    expect(await creditsOf(h, s)).toEqual({ balance: 20, ledger: 20 });
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 98, limit: 100 });
    expect((await ledgerOf(h, s)).map((row) => [row.kind, Number(row.amount)])).toEqual([
      ['top_up', 20],
      ['spend', -7],
      ['release', 7],
    ]);
  });

  it('gives back no more credits than the reservation drew, however often it is released', async () => {
    const { s, subscriptionId } = await subjectWith({ used: 100, limit: 100, credits: 10 });
    const reserved = await reserveCredits(s, 6);
    await grantCredits(h, s, 100);
    const releases = await Promise.all(
      Array.from({ length: 5 }, () => release(s, 4, reserved.periodEnd, reserved.reservationId)),
    );
    const toCredits = releases.map((r) => r.items[0]!.toCredits ?? 0);
    expect(toCredits.reduce((a, b) => a + b, 0)).toBe(6);
    expect(await creditsOf(h, s)).toEqual({ balance: 110, ledger: 110 });
    // The rest of the 20 asked back went to the quota, as a release always has (the caller says
    // what was unused; the counter is only kept from going below zero).
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 86, limit: 100 });
  });

  it("does not hand one subject's reservation id to another subject's balance", async () => {
    const { s } = await subjectWith({ used: 100, limit: 100, credits: 10 });
    const { s: other } = await subjectWith({ used: 100, limit: 100, credits: 10 });
    const reserved = await reserveCredits(s, 4);
    const otherReserved = await reserveCredits(other, 1);
    const back = await release(other, 4, otherReserved.periodEnd, reserved.reservationId);
    expect(back.items[0]!.toCredits ?? 0).toBe(0);
    expect(await creditsOf(h, other)).toEqual({ balance: 9, ledger: 9 });
    expect(await creditsOf(h, s)).toEqual({ balance: 6, ledger: 6 });
  });

  it('gives credits back after the period has rolled (the balance does not roll), the quota not', async () => {
    const { s, subscriptionId } = await subjectWith({ used: 95, limit: 100, credits: 20 });
    const reserved = await reserveCredits(s, 12); // 5 from the quota, 7 from the credits
    await h.admin`update identity.user_subscriptions
      set period_start = now() - interval '2 months', period_end = now() - interval '1 month'
      where id = ${subscriptionId}`;
    await h.admin`select identity.roll_usage_periods(${subscriptionId})`;
    await setCounter(h, subscriptionId, 'ai_credits', { used: 40, limit: 100 });

    const back = await release(s, 10, reserved.periodEnd, reserved.reservationId);
    expect(back).toEqual({ items: [{ metric: 'ai_credits', released: 7, toCredits: 7 }] });
    expect(await creditsOf(h, s)).toEqual({ balance: 20, ledger: 20 });
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 40, limit: 100 });
  });

  it('without the reservation id, gives back to the quota only (as before credits existed)', async () => {
    const { s, subscriptionId } = await subjectWith({ used: 95, limit: 100, credits: 20 });
    const reserved = await reserveCredits(s, 12);
    const back = await release(s, 4, reserved.periodEnd);
    expect(back).toEqual({ items: [{ metric: 'ai_credits', released: 4 }] });
    expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 96, limit: 100 });
    expect(await creditsOf(h, s)).toEqual({ balance: 13, ledger: 13 });
  });
});
