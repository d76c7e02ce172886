import { type Bus, type EventSubscription, idempotently, subscribeEvent } from '@conduit/bus';
import { type Database, processedEventsTable } from '@conduit/db';
import type { Logger } from '@conduit/service-kit';
import { pgSchema } from 'drizzle-orm/pg-core';
import type { EventConsumer } from './service-definition.js';

/**
 * Starts a service's event consumers: each a durable JetStream consumer named
 * `<service>-<name>`, whose effect commits together with its row in `processed_events`.
 */
export async function startEventConsumers<D>(options: {
  service: string;
  schema: string;
  consumers: EventConsumer<D>[];
  deps: D;
  db: Database;
  bus: Bus;
  log: Logger;
}): Promise<EventSubscription[]> {
  const processedEvents = processedEventsTable(pgSchema(options.schema));
  const subscriptions: EventSubscription[] = [];
  try {
    for (const consumer of options.consumers) {
      const durable = `${options.service}-${consumer.name}`;
      const apply = idempotently(options.db, processedEvents, durable, (tx, envelope) =>
        consumer.apply(options.deps, tx, envelope),
      );
      subscriptions.push(
        await subscribeEvent(options.bus, {
          event: consumer.event,
          durable,
          maxDeliver: consumer.maxDeliver,
          handler: apply,
          onError: (error) =>
            options.log.warn({ err: error, consumer: durable }, 'event not applied; it will be redelivered'),
        }),
      );
    }
  } catch (error) {
    await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    throw error;
  }
  return subscriptions;
}
