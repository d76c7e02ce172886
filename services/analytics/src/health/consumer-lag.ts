import type { ReadinessChecks, ServiceApp } from '@conduit/service-kit';
import { consumerLag } from '../bus/stream-ingestion.js';
import type { AnalyticsDeps } from '../deps.js';

/**
 * Consumer lag in /health/ready: a check that makes the service "degraded" (not unready: it still
 * answers queries) while a stream's consumer is further behind than CONSUMER_LAG_WARN, and the
 * figures per stream under `details.consumerLag`. The shared readiness answer has no place for
 * figures, so they are added to its body as it leaves.
 */
export function consumerLagReadiness(deps: Pick<AnalyticsDeps, 'bus' | 'env'>): ReadinessChecks {
  return {
    'consumer lag': {
      required: false,
      check: async () => {
        const behind = Object.entries(await consumerLag(deps)).filter(
          ([, lag]) => lag < 0 || lag > deps.env.CONSUMER_LAG_WARN,
        );
        if (behind.length)
          throw new Error(
            behind.map(([stream, lag]) => `${stream} ${lag < 0 ? 'unknown' : `${lag} behind`}`).join(', '),
          );
      },
    },
  };
}

export function addConsumerLagDetails(app: ServiceApp, deps: Pick<AnalyticsDeps, 'bus' | 'env'>) {
  app.addHook('onSend', async (request, _reply, payload) => {
    if (request.routeOptions.url !== '/health/ready' || typeof payload !== 'string') return payload;
    const body = JSON.parse(payload) as Record<string, unknown>;
    return JSON.stringify({ ...body, details: { consumerLag: await consumerLag(deps) } });
  });
}
