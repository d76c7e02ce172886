import type { EventData, EventDefinition, EventEnvelope } from '@conduit/contracts';
import { contextFromCarrier, SpanKind, withSpan } from '@conduit/telemetry';
import { AckPolicy, type ConsumerMessages, DeliverPolicy, type JsMsg, nanos } from 'nats';
import type { Bus } from './connection.js';
import { streamNameFor } from './naming.js';

export interface SubscribeOptions<E extends EventDefinition> {
  event: E;
  /** Durable consumer name: `<consuming service>-<purpose>`; it survives restarts and resumes. */
  durable: string;
  handler(envelope: EventEnvelope<EventData<E>>): Promise<unknown>;
  maxDeliver?: number;
  ackWaitMs?: number;
  onError?(error: unknown, envelope: unknown): void;
}

export interface EventSubscription {
  stop(): Promise<void>;
}

/**
 * A durable JetStream consumer with explicit acks. A handler that throws gets the message again
 * later (with a growing delay) up to `maxDeliver` times; a payload that does not match the
 * contract is terminated at once, because no retry can fix it. A handler still working past the
 * ack wait keeps its message (it heartbeats), so it runs once at a time. Pair with `idempotently`
 * so that a redelivery does nothing twice.
 */
export async function subscribeEvent<E extends EventDefinition>(
  bus: Bus,
  options: SubscribeOptions<E>,
): Promise<EventSubscription> {
  const stream = streamNameFor(bus.namespace, options.event.subject);
  const maxDeliver = options.maxDeliver ?? 10;
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  await bus.jsm.consumers.add(stream, {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: bus.subject(options.event.subject),
    max_deliver: maxDeliver,
    ack_wait: nanos(ackWaitMs),
  });
  const consumer = await bus.js.consumers.get(stream, options.durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 64 });

  const handle = async (msg: JsMsg) => {
    const carrier = Object.fromEntries(
      [...(msg.headers?.keys() ?? [])].map((key) => [key.toLowerCase(), msg.headers!.get(key)]),
    );
    await withSpan(
      `consume ${options.event.subject}`,
      {
        kind: SpanKind.CONSUMER,
        parent: contextFromCarrier(carrier),
        attributes: { 'messaging.consumer': options.durable },
      },
      async () => {
        let raw: unknown;
        try {
          raw = msg.json();
        } catch (error) {
          options.onError?.(error, msg.string());
          return msg.term();
        }
        const parsed = options.event.envelope.safeParse(raw);
        if (!parsed.success) {
          options.onError?.(parsed.error, raw);
          return msg.term();
        }
        // While the handler works, tell JetStream so every third of the ack wait: a handler that
        // takes longer than the ack wait (a script's HTTP calls) is not delivered again meanwhile,
        // to run a second time beside this one. Only a process that stopped answering loses it.
        const heartbeat = setInterval(() => msg.working(), Math.max(100, ackWaitMs / 3));
        try {
          await options.handler(parsed.data as EventEnvelope<EventData<E>>);
          msg.ack();
        } catch (error) {
          options.onError?.(error, raw);
          msg.nak(Math.min(60_000, 500 * 2 ** msg.info.redeliveryCount));
        } finally {
          clearInterval(heartbeat);
        }
      },
    );
  };

  const loop = (async () => {
    for await (const msg of messages) await handle(msg);
  })();

  return {
    async stop() {
      await messages.close();
      await loop;
    },
  };
}
