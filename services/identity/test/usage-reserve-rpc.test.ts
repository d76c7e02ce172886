import { randomUUID } from 'node:crypto';
import { RpcError, requestRpc } from '@conduit/bus';
import { reserveUsage, type UsageMetric } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, startIdentityHarness } from './fixtures/identity-harness.js';
import { counter, ensureSubscription, setCounter } from './fixtures/usage-subjects.js';

let h: IdentityHarness;

beforeAll(async () => {
  h = await startIdentityHarness();
}, 60_000);
afterAll(() => h?.close(), 30_000);

const subject = () => ({ type: 'user' as const, id: randomUUID() });

const reserve = (
  s: { type: 'user' | 'team'; id: string },
  amount: number,
  metric: UsageMetric = 'executions',
) => requestRpc(h.bus, reserveUsage, { subject: s, metric, amount });

/** Sends a request as raw JSON, past the caller-side validation of requestRpc. */
async function rawRequest(body: string) {
  const msg = await h.bus.nc.request(h.bus.subject(reserveUsage.subject), body, { timeout: 5000 });
  return msg.json<{ ok: boolean; error?: { code: string; message: string } }>();
}

describe('rpc.identity.usage.reserve', () => {
  describe('happy', () => {
    it('grants what fits and says what is left, until the end of the period', async () => {
      const s = subject();
      const subscriptionId = await ensureSubscription(h, s);
      const [row] = await h.admin<{ period_end: Date }[]>`
        select period_end from identity.user_subscriptions where id = ${subscriptionId}`;

      const answer = await reserve(s, 3);
      expect(answer).toEqual({
        granted: true,
        remaining: 997,
        limit: 1000,
        periodEnd: row!.period_end.toISOString(),
      });
      expect(await counter(h, subscriptionId, 'executions')).toEqual({ used: 3, limit: 1000 });
    });

    it('grants exactly the limit to 200 concurrent reservations against a limit of 100', async () => {
      const s = subject();
      const subscriptionId = await ensureSubscription(h, s);
      await setCounter(h, subscriptionId, 'executions', { used: 0, limit: 100 });

      const answers = await Promise.all(Array.from({ length: 200 }, () => reserve(s, 1)));

      const granted = answers.filter((a) => a.granted);
      const refused = answers.filter((a) => !a.granted);
      expect(granted).toHaveLength(100);
      expect(refused).toHaveLength(100);
      for (const answer of refused) expect(answer).toMatchObject({ remaining: 0, limit: 100 });
      // Each grant saw its own remainder: 99, 98, ..., 0, each once.
      expect(granted.map((a) => a.remaining).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 100 }, (_, i) => i),
      );
      expect(await counter(h, subscriptionId, 'executions')).toEqual({ used: 100, limit: 100 });
    });

    it('keeps the metrics of a subscription apart, and teams apart from users', async () => {
      const id = randomUUID();
      const user = await ensureSubscription(h, { type: 'user', id });
      const team = await ensureSubscription(h, { type: 'team', id });
      await reserve({ type: 'team', id }, 7, 'messages');
      expect(await counter(h, team, 'messages')).toEqual({ used: 7, limit: 2000 });
      expect(await counter(h, team, 'executions')).toEqual({ used: 0, limit: 1000 });
      expect(await counter(h, user, 'messages')).toEqual({ used: 0, limit: 2000 });
    });

    it('rolls a subscription whose period has ended on its next reservation', async () => {
      const s = subject();
      const subscriptionId = await ensureSubscription(h, s);
      // As text: a Date would drop the microseconds, and the comparison below is exact.
      const [old] = await h.admin<{ period_end: string }[]>`
        update identity.user_subscriptions
        set period_start = now() - interval '3 months 5 days', period_end = now() - interval '2 months 5 days'
        where id = ${subscriptionId} returning period_end::text`;
      await setCounter(h, subscriptionId, 'executions', { used: 990, limit: 1000 });
      await setCounter(h, subscriptionId, 'messages', { used: 5, limit: 2000 });

      const answer = await reserve(s, 20);

      expect(answer).toMatchObject({ granted: true, remaining: 980, limit: 1000 });
      expect(await counter(h, subscriptionId, 'executions')).toEqual({ used: 20, limit: 1000 });
      expect(await counter(h, subscriptionId, 'messages')).toEqual({ used: 0, limit: 2000 });
      // The period moved forward by a whole number of months, to the one that holds now.
      const [period] = await h.admin<{ months: number; holds_now: boolean; period_end: Date }[]>`
        select (select k from generate_series(1, 24) k
                where s.period_end = ${old!.period_end}::text::timestamptz + k * interval '1 month'
                  and s.period_start = ${old!.period_end}::text::timestamptz + (k - 1) * interval '1 month') as months,
               s.period_start <= now() and now() < s.period_end as holds_now, s.period_end
        from identity.user_subscriptions s where s.id = ${subscriptionId}`;
      expect(period).toMatchObject({ months: 3, holds_now: true });
      expect(answer.periodEnd).toBe(period!.period_end.toISOString());
    });
  });

  describe('error', () => {
    it('refuses an amount larger than what is left, and changes nothing', async () => {
      const s = subject();
      const subscriptionId = await ensureSubscription(h, s);
      await setCounter(h, subscriptionId, 'executions', { used: 95, limit: 100 });

      expect(await reserve(s, 6)).toMatchObject({ granted: false, remaining: 5, limit: 100 });
      expect(await counter(h, subscriptionId, 'executions')).toEqual({ used: 95, limit: 100 });
      expect(await reserve(s, 5)).toMatchObject({ granted: true, remaining: 0, limit: 100 });
      expect(await reserve(s, 1)).toMatchObject({ granted: false, remaining: 0, limit: 100 });
      expect(await counter(h, subscriptionId, 'executions')).toEqual({ used: 100, limit: 100 });
    });

    it('answers not_found for a subject without a subscription', async () => {
      const error = await reserve(subject(), 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RpcError);
      expect(error).toMatchObject({ code: 'not_found', message: 'no subscription for that subject' });
    });

    it('answers not_found when the plan does not limit the metric', async () => {
      const s = subject();
      const subscriptionId = await ensureSubscription(h, s);
      await h.admin`delete from identity.usage_counters where subscription_id = ${subscriptionId} and metric = 'storage_mb'`;
      await expect(reserve(s, 1, 'storage_mb')).rejects.toMatchObject({ code: 'not_found' });
    });

    it.each([
      [
        'an unknown subject type',
        { subject: { type: 'org', id: randomUUID() }, metric: 'executions', amount: 1 },
      ],
      [
        'a subject id that is no uuid',
        { subject: { type: 'user', id: 'me' }, metric: 'executions', amount: 1 },
      ],
      ['an unknown metric', { subject: { type: 'user', id: randomUUID() }, metric: 'tokens', amount: 1 }],
      ['an amount of zero', { subject: { type: 'user', id: randomUUID() }, metric: 'executions', amount: 0 }],
      [
        'a negative amount',
        { subject: { type: 'user', id: randomUUID() }, metric: 'executions', amount: -5 },
      ],
      [
        'a fractional amount',
        { subject: { type: 'user', id: randomUUID() }, metric: 'executions', amount: 1.5 },
      ],
      ['no amount', { subject: { type: 'user', id: randomUUID() }, metric: 'executions' }],
    ])('answers bad_request for %s', async (_, body) => {
      const reply = await rawRequest(JSON.stringify(body));
      expect(reply).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    });

    it('never lets a negative amount give usage back', async () => {
      const s = subject();
      const subscriptionId = await ensureSubscription(h, s);
      await setCounter(h, subscriptionId, 'executions', { used: 10, limit: 100 });
      await rawRequest(JSON.stringify({ subject: s, metric: 'executions', amount: -10 }));
      expect(await counter(h, subscriptionId, 'executions')).toEqual({ used: 10, limit: 100 });
    });
  });
});
