import { actorSchema, type EventEnvelope } from '@conduit/contracts';
import { AckPolicy, DeliverPolicy, type JsMsg, nanos } from 'nats';
import { z } from 'zod';
import type { Bus } from './connection.js';
import { namespaced, streamNameFor } from './naming.js';

/**
 * Any event's envelope, whatever its subject: what a consumer of a whole stream can rely on. The
 * data stays unknown here; the consumer decides what it reads of it.
 */
export const anyEnvelopeSchema = z.object({
  id: z.uuid(),
  subject: z.string().min(1).max(200),
  version: z.int().min(1),
  occurredAt: z.iso.datetime({ offset: true }),
  actor: actorSchema.nullable(),
  data: z.record(z.string(), z.unknown()),
});

export interface StreamBatchOptions {
  /** The producing service whose whole stream is read (`<namespace>.<service>.>`), e.g. `identity`. */
  service: string;
  /** Durable consumer name: `<consuming service>-<purpose>`; it survives restarts and resumes. */
  durable: string;
  /** Most events handed to one call of `handle`. */
  batchSize?: number;
  /** How long the first event of a batch waits for others before the batch is handled anyway. */
  maxWaitMs?: number;
  maxDeliver?: number;
  ackWaitMs?: number;
  /**
   * Applies a batch of valid envelopes (one transaction, typically). Every message of the batch is
   * acked once it resolves and redelivered later if it throws, so it must be idempotent.
   */
  handle(batch: EventEnvelope<Record<string, unknown>>[]): Promise<void>;
  onError?(error: unknown, raw: unknown): void;
}

export interface StreamBatchConsumer {
  /** Messages of the stream not yet acked by this consumer: not delivered yet, or in flight. */
  lag(): Promise<number>;
  stop(): Promise<void>;
}

/** Messages waiting for the durable consumer `durable` of `service`'s stream (delivered or not). */
export async function streamConsumerLag(bus: Bus, service: string, durable: string): Promise<number> {
  const info = await bus.jsm.consumers.info(streamNameFor(bus.namespace, service), durable);
  return info.num_pending + info.num_ack_pending;
}

/**
 * A durable JetStream consumer of a producing service's whole stream that hands events over in
 * batches, for consumers that gain from writing many rows in one transaction. Acks follow the
 * batch's success, so nothing is acked that was not applied. A message that is not an event
 * envelope is terminated at once (no retry can fix it). The stream is created if its producer
 * has not started yet, so consumer and producer may start in any order.
 */
export async function consumeStreamBatches(
  bus: Bus,
  options: StreamBatchOptions,
): Promise<StreamBatchConsumer> {
  const stream = await bus.ensureStream(options.service);
  const batchSize = options.batchSize ?? 256;
  const maxWaitMs = options.maxWaitMs ?? 50;
  await bus.jsm.consumers.add(stream, {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: namespaced(bus.namespace, `${options.service}.>`),
    max_deliver: options.maxDeliver ?? 10,
    ack_wait: nanos(options.ackWaitMs ?? 30_000),
    max_ack_pending: batchSize * 4,
  });
  const consumer = await bus.js.consumers.get(stream, options.durable);
  const messages = await consumer.consume({ max_messages: batchSize * 2 });

  const envelopeOf = (msg: JsMsg) => {
    let raw: unknown;
    try {
      raw = msg.json();
    } catch (error) {
      options.onError?.(error, msg.string());
      return undefined;
    }
    const parsed = anyEnvelopeSchema.safeParse(raw);
    if (!parsed.success) options.onError?.(parsed.error, raw);
    return parsed.success ? (parsed.data as EventEnvelope<Record<string, unknown>>) : undefined;
  };

  const handleBatch = async (batch: JsMsg[]) => {
    const valid: { msg: JsMsg; envelope: EventEnvelope<Record<string, unknown>> }[] = [];
    for (const msg of batch) {
      const envelope = envelopeOf(msg);
      if (envelope) valid.push({ msg, envelope });
      else msg.term();
    }
    if (!valid.length) return;
    try {
      await options.handle(valid.map((entry) => entry.envelope));
      for (const { msg } of valid) msg.ack();
    } catch (error) {
      options.onError?.(error, undefined);
      for (const { msg } of valid) msg.nak(Math.min(60_000, 500 * 2 ** msg.info.redeliveryCount));
    }
  };

  // Batches are handled one after another; a full batch holds the reading loop until it is done,
  // so at most two batches of messages wait in this process.
  let pending: JsMsg[] = [];
  let timer: NodeJS.Timeout | undefined;
  let handling: Promise<void> = Promise.resolve();
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    if (batch.length) handling = handling.then(() => handleBatch(batch));
    return handling;
  };
  const loop = (async () => {
    for await (const msg of messages) {
      pending.push(msg);
      if (pending.length >= batchSize) await flush();
      else timer ??= setTimeout(flush, maxWaitMs);
    }
    await flush();
  })();

  return {
    lag: () => streamConsumerLag(bus, options.service, options.durable),
    async stop() {
      await messages.close();
      await loop;
    },
  };
}
