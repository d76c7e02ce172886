import type { ServiceApp } from '@conduit/service-kit';
import { consumerLag } from '../bus/stream-ingestion.js';
import type { AnalyticsDeps } from '../deps.js';

/** Prometheus' text exposition format, version 0.0.4. */
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * `GET /metrics`: analytics' gauges in Prometheus text, for a scraper that reaches the service's
 * own port (the gateway routes only `/v1/...`, so it is never public). The project exports traces
 * through OpenTelemetry but has no meter provider yet; when it has one, these become observable
 * gauges of the same names (`analytics.consumer.lag`, attribute `stream`).
 *
 * - `analytics_consumer_lag{stream}`: events of the stream its durable consumer has not acked
 *   (not delivered yet, or in flight), as /health/ready's `details.consumerLag`.
 * - `analytics_consumer_up{stream}`: 1 when the consumer's state could be read; 0 (and no lag
 *   sample) when it could not: NATS is unreachable, or no worker has created the consumer yet.
 */
export function metricsRoute(app: ServiceApp, deps: Pick<AnalyticsDeps, 'bus' | 'env'>) {
  app.get('/metrics', { logLevel: 'warn', schema: { hide: true } }, async (_request, reply) => {
    const lags = Object.entries(await consumerLag(deps));
    // Stream names are checked by ANALYTICS_STREAMS (a-z, 0-9, -): nothing in them needs escaping.
    const label = (stream: string) => `{stream="${stream}"}`;
    const lines = [
      '# HELP analytics_consumer_lag Events of a stream not yet recorded by analytics (pending or unacked).',
      '# TYPE analytics_consumer_lag gauge',
      ...lags
        .filter(([, lag]) => lag >= 0)
        .map(([stream, lag]) => `analytics_consumer_lag${label(stream)} ${lag}`),
      '# HELP analytics_consumer_up Whether the lag of a stream’s consumer could be read (1) or not (0).',
      '# TYPE analytics_consumer_up gauge',
      ...lags.map(([stream, lag]) => `analytics_consumer_up${label(stream)} ${lag >= 0 ? 1 : 0}`),
    ];
    return reply.type(CONTENT_TYPE).send(`${lines.join('\n')}\n`);
  });
}
