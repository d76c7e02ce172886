import { consumeStreamBatches, type StreamBatchConsumer, streamConsumerLag } from '@conduit/bus';
import { withoutActor } from '@conduit/db';
import type { BackgroundTask } from '@conduit/runtime';
import type { AnalyticsDeps } from '../deps.js';
import { rowOfEnvelope } from '../domain/events/event-row.js';
import { recordEvents } from '../domain/events/record-events.js';

/** The durable consumer of a producing service's stream: one per stream, resumed after restarts. */
export const durableFor = (service: string) => `analytics-record-${service}`;

/**
 * Records every event of the configured streams (ANALYTICS_STREAMS), one durable consumer per
 * stream, a batch per transaction. A batch is acked after it commits; a redelivered event finds
 * its id recorded and adds nothing. Events older than the retention window are acked unrecorded:
 * they would be pruned at once.
 */
export const streamIngestion: BackgroundTask<AnalyticsDeps> = {
  name: 'stream ingestion',
  async start(deps) {
    const consumers: StreamBatchConsumer[] = [];
    const stopAll = () => Promise.all(consumers.map((consumer) => consumer.stop()));
    try {
      for (const service of deps.env.ANALYTICS_STREAMS) {
        consumers.push(
          await consumeStreamBatches(deps.bus, {
            service,
            durable: durableFor(service),
            batchSize: deps.env.INGEST_BATCH_SIZE,
            maxWaitMs: deps.env.INGEST_BATCH_WAIT,
            ackWaitMs: deps.env.INGEST_ACK_WAIT,
            handle: async (batch) => {
              const receivedAt = new Date();
              const oldest = receivedAt.getTime() - deps.env.EVENT_RETENTION;
              const rows = batch
                .filter((envelope) => Date.parse(envelope.occurredAt) >= oldest)
                .map((envelope) =>
                  rowOfEnvelope(envelope, { aiCreditTokens: deps.env.AI_CREDIT_TOKENS }, receivedAt),
                );
              await withoutActor(deps.db, (tx) => recordEvents(tx, rows));
            },
            onError: (error) =>
              deps.log.warn({ err: error, stream: service }, 'events not recorded; they will be redelivered'),
          }),
        );
      }
    } catch (error) {
      await stopAll();
      throw error;
    }
    return { stop: async () => void (await stopAll()) };
  },
};

/** How many events each stream's consumer has yet to record (delivered or not); -1: unknown. */
export async function consumerLag(deps: Pick<AnalyticsDeps, 'bus' | 'env'>): Promise<Record<string, number>> {
  const lags = await Promise.all(
    deps.env.ANALYTICS_STREAMS.map(async (service) => {
      const lag = await streamConsumerLag(deps.bus, service, durableFor(service)).catch(() => -1);
      return [service, lag] as const;
    }),
  );
  return Object.fromEntries(lags);
}
