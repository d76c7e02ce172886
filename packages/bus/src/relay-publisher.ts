import type { OutboxRow } from '@conduit/db';
import { contextFromTraceparent, injectTraceHeaders, SpanKind, withSpan } from '@conduit/telemetry';
import { headers } from 'nats';
import type { Bus } from './connection.js';

/**
 * Publishes an outbox row to JetStream with the row id as `Nats-Msg-Id`, so that a row published
 * twice (a crash between the ack and marking it sent) is stored once. The publish span continues
 * the trace of the request that wrote the row.
 */
export function relayPublisher(bus: Bus): (row: OutboxRow) => Promise<void> {
  return (row) =>
    withSpan(
      `publish ${row.subject}`,
      {
        kind: SpanKind.PRODUCER,
        parent: contextFromTraceparent(row.traceparent),
        attributes: { 'messaging.system': 'nats' },
      },
      async () => {
        const h = headers();
        for (const [key, value] of Object.entries(injectTraceHeaders())) h.set(key, value);
        await bus.js.publish(bus.subject(row.subject), JSON.stringify(row.payload), {
          msgID: row.id,
          headers: h,
          timeout: 5000,
        });
      },
    );
}
