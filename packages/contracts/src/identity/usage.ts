import { z } from 'zod';
import { defineRpc } from '../rpc.js';

/** The metrics every plan limits per monthly period. */
export const usageMetrics = ['executions', 'messages', 'ai_credits', 'storage_mb'] as const;
export const usageMetricSchema = z.enum(usageMetrics);
export type UsageMetric = z.infer<typeof usageMetricSchema>;

export const usageSubject = z.object({ type: z.enum(['user', 'team']), id: z.uuid() });

/**
 * Reserves usage atomically before doing the work it pays for (a bot reply, an execution).
 * Never goes below zero however many callers race; refused answers say what is left.
 */
export const reserveUsage = defineRpc(
  'rpc.identity.usage.reserve',
  z.object({
    subject: usageSubject,
    metric: usageMetricSchema,
    amount: z.number().int().min(1).max(1_000_000_000),
  }),
  z.object({
    granted: z.boolean(),
    remaining: z.number().int(),
    limit: z.number().int(),
    periodEnd: z.iso.datetime({ offset: true }).nullable(),
  }),
);

/**
 * Gives back what a granted reservation did not use: a reply that failed, or one that used fewer
 * AI credits than it reserved. Only within the period the reservation was made in (`periodEnd`
 * from its answer): once the period has rolled, the counter started again and there is nothing
 * to give back. Never takes a counter below zero; `released` says how much was given back.
 */
export const releaseUsage = defineRpc(
  'rpc.identity.usage.release',
  z.object({
    subject: usageSubject,
    metric: usageMetricSchema,
    amount: z.number().int().min(1).max(1_000_000_000),
    periodEnd: z.iso.datetime({ offset: true }),
  }),
  z.object({ released: z.number().int() }),
);
