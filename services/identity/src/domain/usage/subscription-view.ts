import { usageMetrics } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { and, eq } from 'drizzle-orm';
import { plans, usageCounters, userSubscriptions } from '../../db/schema.js';
import { creditBalanceOf } from '../credits/credit-balance.js';
import type { Subject } from '../subjects/subject.js';

export interface UsageLine {
  metric: string;
  used: number;
  /** Null for a gauge (storage_mb) the plan does not limit: what is stored still counts. */
  limit: number | null;
  /**
   * Never below zero, even when a smaller plan left `used` above the new limit; null when the
   * plan does not limit the metric.
   */
  remaining: number | null;
}

export interface SubscriptionView {
  subject: Subject;
  plan: { id: string; name: string };
  periodStart: string;
  /** When the counters reset. */
  periodEnd: string;
  usage: UsageLine[];
  /** Bought AI credits beside the plan, spent once its monthly `ai_credits` are used up. */
  credits: number;
}

/** Known metrics in the contract's order, then any other metric a plan limits, by name. */
const metricOrder = (metric: string) => {
  const index = (usageMetrics as readonly string[]).indexOf(metric);
  return index === -1 ? usageMetrics.length : index;
};

/**
 * The subscription of a subject as the transaction's actor may see it (row-level security hides
 * other people's and other teams'), with the usage of its current period; undefined when hidden
 * or absent.
 */
export async function loadSubscriptionView(
  tx: Transaction,
  subject: Subject,
): Promise<SubscriptionView | undefined> {
  const [row] = await tx
    .select({
      id: userSubscriptions.id,
      planId: plans.id,
      planName: plans.name,
      periodStart: userSubscriptions.periodStart,
      periodEnd: userSubscriptions.periodEnd,
    })
    .from(userSubscriptions)
    .innerJoin(plans, eq(plans.id, userSubscriptions.planId))
    .where(and(eq(userSubscriptions.subjectType, subject.type), eq(userSubscriptions.subjectId, subject.id)));
  if (!row) return undefined;
  const counters = await tx
    .select({ metric: usageCounters.metric, used: usageCounters.used, limit: usageCounters.limit })
    .from(usageCounters)
    .where(eq(usageCounters.subscriptionId, row.id));
  counters.sort((a, b) => metricOrder(a.metric) - metricOrder(b.metric) || a.metric.localeCompare(b.metric));
  return {
    subject,
    plan: { id: row.planId, name: row.planName },
    periodStart: row.periodStart.toISOString(),
    periodEnd: row.periodEnd.toISOString(),
    usage: counters.map((c) => ({
      ...c,
      remaining: c.limit === null ? null : Math.max(0, c.limit - c.used),
    })),
    credits: await creditBalanceOf(tx, subject),
  };
}
