import { randomUUID } from 'node:crypto';
import { RpcError, requestRpc } from '@conduit/bus';
import { reserveUsage, type UsageMetric } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, startIdentityHarness } from '../fixtures/identity-harness.js';
import { counter, ensureSubscription, setCounter } from '../fixtures/usage-subjects.js';

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
) => requestRpc(h.bus, reserveUsage, { subject: s, items: [{ metric, amount }] });

/** What a one-metric answer says of its metric. */
const line = (answer: { items: { remaining: number | null; limit: number | null }[] }) => answer.items[0]!;

/** A plan that limits executions only (1000); returns its id. */
async function executionsOnlyPlan() {
  await h.admin`insert into identity.plans (id, name, limits)
    values ('executions-only-test', 'Executions only', '{"executions": 1000}') on conflict (id) do nothing`;
  return 'executions-only-test';
}

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
        refused: null,
        items: [{ metric: 'executions', remaining: 997, limit: 1000 }],
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
      for (const answer of refused)
        expect(answer).toMatchObject({
          refused: 'executions',
          items: [{ metric: 'executions', remaining: 0, limit: 100 }],
        });
      // Each grant saw its own remainder: 99, 98, ..., 0, each once.
      expect(granted.map((a) => Number(line(a).remaining)).sort((a, b) => a - b)).toEqual(
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

      expect(answer).toMatchObject({ granted: true });
      expect(line(answer)).toEqual({ metric: 'executions', remaining: 980, limit: 1000 });
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

  describe('several metrics at once', () => {
    const reserveItems = (s: { type: 'user' | 'team'; id: string }, items: [UsageMetric, number][]) =>
      requestRpc(h.bus, reserveUsage, {
        subject: s,
        items: items.map(([metric, amount]) => ({ metric, amount })),
      });

    it('grants every amount in one call, and says what is left of each, in the order asked', async () => {
      const s = subject();
      const subscriptionId = await ensureSubscription(h, s);
      const answer = await reserveItems(s, [
        ['messages', 1],
        ['ai_credits', 11],
      ]);
      expect(answer).toMatchObject({
        granted: true,
        refused: null,
        items: [
          { metric: 'messages', remaining: 1999, limit: 2000 },
          { metric: 'ai_credits', remaining: 489, limit: 500 },
        ],
      });
      expect(await counter(h, subscriptionId, 'messages')).toEqual({ used: 1, limit: 2000 });
      expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 11, limit: 500 });
    });

    it('reserves none when one metric is exhausted, and names it', async () => {
      const s = subject();
      const subscriptionId = await ensureSubscription(h, s);
      await setCounter(h, subscriptionId, 'ai_credits', { used: 495, limit: 500 });

      const answer = await reserveItems(s, [
        ['messages', 1],
        ['ai_credits', 6],
      ]);
      expect(answer).toMatchObject({
        granted: false,
        refused: 'ai_credits',
        items: [
          { metric: 'messages', remaining: 2000, limit: 2000 },
          { metric: 'ai_credits', remaining: 5, limit: 500 },
        ],
      });
      // Nothing of the message that did fit was reserved.
      expect(await counter(h, subscriptionId, 'messages')).toEqual({ used: 0, limit: 2000 });
      expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 495, limit: 500 });
    });

    it('names the first metric asked for when several do not fit', async () => {
      const s = subject();
      const subscriptionId = await ensureSubscription(h, s);
      await setCounter(h, subscriptionId, 'messages', { used: 2000, limit: 2000 });
      await setCounter(h, subscriptionId, 'ai_credits', { used: 500, limit: 500 });
      const refused = (items: [UsageMetric, number][]) =>
        reserveItems(s, items).then((answer) => answer.refused);
      expect(
        await refused([
          ['ai_credits', 1],
          ['messages', 1],
        ]),
      ).toBe('ai_credits');
      expect(
        await refused([
          ['messages', 1],
          ['ai_credits', 1],
        ]),
      ).toBe('messages');
    });

    it('grants the metrics the plan does not limit beside the limited ones: a gauge counted, a per-period metric not', async () => {
      const s = subject();
      const subscriptionId = await ensureSubscription(h, s, await executionsOnlyPlan());
      const answer = await reserveItems(s, [
        ['executions', 1],
        ['storage_mb', 1_000_000],
        ['messages', 5],
      ]);
      expect(answer).toMatchObject({
        granted: true,
        refused: null,
        items: [
          { metric: 'executions', remaining: 999, limit: 1000 },
          { metric: 'storage_mb', remaining: null, limit: null },
          { metric: 'messages', remaining: null, limit: null },
        ],
      });
      expect(await counter(h, subscriptionId, 'executions')).toEqual({ used: 1, limit: 1000 });
      // What is stored counts on any plan; the messages of a plan that does not limit them do not.
      expect(await counter(h, subscriptionId, 'storage_mb')).toEqual({ used: 1_000_000, limit: null });
      const [messages] = await h.admin<{ n: number }[]>`
        select count(*)::int as n from identity.usage_counters
        where subscription_id = ${subscriptionId} and metric = 'messages'`;
      expect(messages!.n).toBe(0);
    });

    it('still refuses all of it when a limited metric beside an unlimited one does not fit', async () => {
      const s = subject();
      const subscriptionId = await ensureSubscription(h, s, await executionsOnlyPlan());
      await setCounter(h, subscriptionId, 'executions', { used: 1000, limit: 1000 });
      const answer = await reserveItems(s, [
        ['storage_mb', 5],
        ['executions', 1],
      ]);
      expect(answer).toMatchObject({
        granted: false,
        refused: 'executions',
        items: [
          { metric: 'storage_mb', remaining: null, limit: null },
          { metric: 'executions', remaining: 0, limit: 1000 },
        ],
      });
      expect(await counter(h, subscriptionId, 'executions')).toEqual({ used: 1000, limit: 1000 });
      expect(await counter(h, subscriptionId, 'storage_mb')).toEqual({ used: 0, limit: null });
    });

    it('grants all or none to 200 concurrent reservations of two metrics, asked in either order, while the plan is applied again', async () => {
      const s = subject();
      const subscriptionId = await ensureSubscription(h, s);
      await setCounter(h, subscriptionId, 'messages', { used: 1900, limit: 2000 });
      // 60 AI credits left against 100 messages: the credits run out first.
      await setCounter(h, subscriptionId, 'ai_credits', { used: 440, limit: 500 });
      const items = (i: number): [UsageMetric, number][] =>
        i % 2
          ? [
              ['messages', 1],
              ['ai_credits', 1],
            ]
          : [
              ['ai_credits', 1],
              ['messages', 1],
            ];

      const [answers] = await Promise.all([
        Promise.all(Array.from({ length: 200 }, (_, i) => reserveItems(s, items(i)))),
        // Applying the plan locks every counter of the subscription, as a plan change or a roll
        // does: in the same order as the reservations, or some of them would deadlock (and fail).
        (async () => {
          for (let i = 0; i < 20; i++) await h.admin`select identity.apply_plan_limits(${subscriptionId})`;
        })(),
      ]);

      expect(answers.filter((a) => a.granted)).toHaveLength(60);
      const refused = answers.filter((a) => !a.granted);
      expect(refused).toHaveLength(140);
      for (const answer of refused) expect(answer.refused).toBe('ai_credits');
      // Every grant took one of each, every refusal none.
      expect(await counter(h, subscriptionId, 'messages')).toEqual({ used: 1960, limit: 2000 });
      expect(await counter(h, subscriptionId, 'ai_credits')).toEqual({ used: 500, limit: 500 });
    });
  });

  describe('error', () => {
    it('refuses an amount larger than what is left, and changes nothing', async () => {
      const s = subject();
      const subscriptionId = await ensureSubscription(h, s);
      await setCounter(h, subscriptionId, 'executions', { used: 95, limit: 100 });

      const executions = (remaining: number) => [{ metric: 'executions', remaining, limit: 100 }];
      expect(await reserve(s, 6)).toMatchObject({
        granted: false,
        refused: 'executions',
        items: executions(5),
      });
      expect(await counter(h, subscriptionId, 'executions')).toEqual({ used: 95, limit: 100 });
      expect(await reserve(s, 5)).toMatchObject({ granted: true, refused: null, items: executions(0) });
      expect(await reserve(s, 1)).toMatchObject({
        granted: false,
        refused: 'executions',
        items: executions(0),
      });
      expect(await counter(h, subscriptionId, 'executions')).toEqual({ used: 100, limit: 100 });
    });

    it('answers not_found for a subject without a subscription, whatever its metrics', async () => {
      for (const metric of ['executions', 'emails_sent'] as const) {
        const error = await reserve(subject(), 1, metric).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RpcError);
        expect(error).toMatchObject({ code: 'not_found', message: 'no subscription for that subject' });
      }
    });

    it('tells a plan that does not limit the metric apart from no subscription: it grants', async () => {
      const s = subject();
      const subscriptionId = await ensureSubscription(h, s);
      await h.admin`delete from identity.usage_counters where subscription_id = ${subscriptionId} and metric = 'emails_sent'`;
      expect(await reserve(s, 500, 'emails_sent')).toMatchObject({
        granted: true,
        refused: null,
        items: [{ metric: 'emails_sent', remaining: null, limit: null }],
      });
    });

    const user = () => ({ type: 'user', id: randomUUID() });
    const executions = (amount?: number) => ({ metric: 'executions', amount });
    it.each([
      ['an unknown subject type', { subject: { type: 'org', id: randomUUID() }, items: [executions(1)] }],
      ['a subject id that is no uuid', { subject: { type: 'user', id: 'me' }, items: [executions(1)] }],
      ['an unknown metric', { subject: user(), items: [{ metric: 'tokens', amount: 1 }] }],
      ['an amount of zero', { subject: user(), items: [executions(0)] }],
      ['a negative amount', { subject: user(), items: [executions(-5)] }],
      ['a fractional amount', { subject: user(), items: [executions(1.5)] }],
      ['no amount', { subject: user(), items: [executions()] }],
      ['no items', { subject: user(), items: [] }],
      ['the same metric twice', { subject: user(), items: [executions(1), executions(2)] }],
      ['one metric and no list', { subject: user(), metric: 'executions', amount: 1 }],
    ])('answers bad_request for %s', async (_, body) => {
      const reply = await rawRequest(JSON.stringify(body));
      expect(reply).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    });

    it('never lets a negative amount give usage back', async () => {
      const s = subject();
      const subscriptionId = await ensureSubscription(h, s);
      await setCounter(h, subscriptionId, 'executions', { used: 10, limit: 100 });
      const reply = await rawRequest(
        JSON.stringify({ subject: s, items: [{ metric: 'messages', amount: 1 }, executions(-10)] }),
      );
      expect(reply).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      expect(await counter(h, subscriptionId, 'executions')).toEqual({ used: 10, limit: 100 });
      expect(await counter(h, subscriptionId, 'messages')).toEqual({ used: 0, limit: 2000 });
    });
  });
});
