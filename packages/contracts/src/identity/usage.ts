import { z } from 'zod';
import { defineRpc } from '../rpc.js';

/**
 * The metrics a plan may limit per monthly period, but storage_mb: a gauge of what is kept (the
 * files stored), whose counter never rolls with the period and is given back by a release in any
 * period, so deleting a file frees its space for good; a plan change keeps what is used
 * (identity migration 0008). emails_sent counts mail sent for a user or team, one per recipient
 * (identity migration 0010). A metric a plan names no limit for is not limited (see
 * `reserveUsage`); a gauge is still counted then (migration 0012).
 */
export const usageMetrics = ['executions', 'messages', 'ai_credits', 'storage_mb', 'emails_sent'] as const;
export const usageMetricSchema = z.enum(usageMetrics);
export type UsageMetric = z.infer<typeof usageMetricSchema>;

/**
 * The gauges among the metrics: what is kept rather than done in a period. Counted on every plan,
 * also one that does not limit them, so that a move to a plan that does is judged against what is
 * really kept (identity's `gauge_metrics()` says the same).
 */
export const gaugeMetrics: readonly UsageMetric[] = ['storage_mb'];
export const isGaugeMetric = (metric: UsageMetric) => gaugeMetrics.includes(metric);

export const usageSubject = z.object({ type: z.enum(['user', 'team']), id: z.uuid() });

/** An amount of one metric: what a piece of work reserves, or gives back. */
export const usageItem = z.object({
  metric: usageMetricSchema,
  amount: z.number().int().min(1).max(1_000_000_000),
});
export type UsageItem = z.infer<typeof usageItem>;

/** One or more metrics, each at most once (so that each answer line says one metric). */
const usageItems = z
  .array(usageItem)
  .min(1)
  .max(usageMetrics.length)
  .refine((items) => new Set(items.map((item) => item.metric)).size === items.length, {
    message: 'each metric may appear only once',
  });

/**
 * Reserves usage of one or more metrics atomically before doing the work it pays for (a bot reply
 * reserves a message and AI credits, an execution one execution): granted only when every amount
 * fits in what is left of the period, and then all of them; a refusal changes nothing. Never goes
 * below zero however many callers race. `refused` names the first metric (in request order) that
 * did not fit; `items` says, for each metric asked, what is left after a grant or now after a
 * refusal.
 *
 * A metric the subject's plan does not limit (the plan names no limit for it) is not limited: it
 * is granted, its line has `remaining` and `limit` null, and the metrics that are limited are
 * reserved beside it as usual. A per-period metric is then counted nowhere; a gauge
 * (`gaugeMetrics`: storage_mb) is counted all the same, so its release gives it back as usual. Every user and team is put on the default plan when
 * it is created, so a subject without a subscription is one identity does not know: it is answered
 * with the error not_found, which callers refuse as "not included" (402), never as unlimited
 * (`reserveUsageOf` in @conduit/bus does both for every service).
 *
 * AI credits are spent from the plan's monthly quota first, then from the subject's bought credit
 * balance: the `ai_credits` line says the balance (`credits`) after a grant or now, and a grant
 * that drew on the balance carries a `reservationId` that its release names, so that what it drew
 * goes back to the balance.
 */
export const reserveUsage = defineRpc(
  'rpc.identity.usage.reserve',
  z.object({ subject: usageSubject, items: usageItems }),
  z.object({
    granted: z.boolean(),
    refused: usageMetricSchema.nullable(),
    items: z.array(
      z.object({
        metric: usageMetricSchema,
        /** What is left of the plan's quota this period; null when the plan does not limit it. */
        remaining: z.number().int().nullable(),
        /**
         * The plan's limit; null when the plan does not limit the metric (nothing was counted,
         * but for a gauge, which is counted on every plan).
         */
        limit: z.number().int().nullable(),
        /** AI credits only: the subject's credit balance beside the quota. */
        credits: z.number().int().optional(),
      }),
    ),
    /** When the counters reset; a release of this reservation names it. */
    periodEnd: z.iso.datetime({ offset: true }),
    /** Present when the grant drew on the credit balance; a release of this reservation names it. */
    reservationId: z.uuid().optional(),
  }),
);

/**
 * Gives back, in one call, what a granted reservation did not use: a reply that failed, or one
 * that used fewer AI credits than it reserved. Only within the period the reservation was made in
 * (`periodEnd` from its answer): once the period has rolled, the counters started again and there
 * is nothing to give back, except for the gauge storage_mb (see `usageMetrics`): its counter never
 * rolled, so what is released goes back in any period (a deleted file's space). Never takes a
 * counter below zero; `items` says how much of each metric was given back (0 for a metric the
 * subject has no counter of).
 *
 * With the reservation's `reservationId`, unused AI credits go back to the credit balance first,
 * up to what the reservation drew from it (credits were spent last, so they come back first; the
 * balance does not roll, so this holds after the period too); `toCredits` says how many of
 * `released` did.
 */
export const releaseUsage = defineRpc(
  'rpc.identity.usage.release',
  z.object({
    subject: usageSubject,
    items: usageItems,
    periodEnd: z.iso.datetime({ offset: true }),
    reservationId: z.uuid().optional(),
  }),
  z.object({
    items: z.array(
      z.object({
        metric: usageMetricSchema,
        released: z.number().int(),
        toCredits: z.number().int().optional(),
      }),
    ),
  }),
);
