import { type Bus, RpcError, type RpcServer, serveRpc } from '@conduit/bus';
import { releaseUsage, reserveUsage, type UsageItem, type UsageMetric } from '@conduit/contracts';

/**
 * Identity's usage RPCs, for services tested without identity: the real protocol on the real
 * NATS (identity itself answers them in the usage tests and the end-to-end tests). Grants by
 * default; `refuse` makes a metric run out (a reservation asking for it is refused whole),
 * `unlimited` answers as identity does for a plan that does not limit that metric (granted, its
 * line's `remaining` and `limit` null), `withoutSubscription` as identity does for a subject id it
 * has no subscription of (not_found); `calls` records what was reserved and `releases` what was
 * given back, one entry per call.
 */
export interface UsageStandIn {
  refuse: Map<UsageMetric, { remaining: number; limit: number }>;
  unlimited: Set<UsageMetric>;
  withoutSubscription: Set<string>;
  calls: { subject: { type: string; id: string }; items: UsageItem[] }[];
  releases: { subject: { type: string; id: string }; items: UsageItem[] }[];
  stop(): Promise<void>;
}

export function serveUsageStandIn(bus: Bus): UsageStandIn {
  const refuse: UsageStandIn['refuse'] = new Map();
  const unlimited: UsageStandIn['unlimited'] = new Set();
  const withoutSubscription: UsageStandIn['withoutSubscription'] = new Set();
  const calls: UsageStandIn['calls'] = [];
  const releases: UsageStandIn['releases'] = [];
  const periodEnd = '2030-01-01T00:00:00.000Z';
  const servers: RpcServer[] = [
    serveRpc(bus, reserveUsage, 'identity', async (request) => {
      calls.push(request);
      if (withoutSubscription.has(request.subject.id))
        throw new RpcError('not_found', 'no subscription for that subject');
      const refused =
        request.items.find((item) => refuse.has(item.metric) && !unlimited.has(item.metric))?.metric ?? null;
      const items = request.items.map(({ metric }) => ({
        metric,
        ...(unlimited.has(metric)
          ? { remaining: null, limit: null }
          : (refuse.get(metric) ?? { remaining: 1_000_000, limit: 1_000_000 })),
      }));
      return { granted: refused === null, refused, items, periodEnd };
    }),
    serveRpc(bus, releaseUsage, 'identity', async ({ subject, items }) => {
      releases.push({ subject, items });
      return { items: items.map(({ metric, amount }) => ({ metric, released: amount })) };
    }),
  ];
  return {
    refuse,
    unlimited,
    withoutSubscription,
    calls,
    releases,
    stop: async () => void (await Promise.all(servers.map((server) => server.stop()))),
  };
}
