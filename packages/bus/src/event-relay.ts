import { type OutboxRelay, startOutboxRelay } from '@conduit/db';
import type postgres from 'postgres';
import type { Bus } from './connection.js';
import { relayPublisher } from './relay-publisher.js';

/**
 * Starts a service's outbox relay onto the bus. While the bus is down every tick fails: that is
 * said every 10 s, not every tick, and the events wait in the outbox meanwhile.
 */
export function startEventRelay(options: {
  sql: postgres.Sql;
  schema: string;
  bus: Bus;
  log: { warn(details: object, message: string): void };
}): Promise<OutboxRelay> {
  let lastWarning = 0;
  return startOutboxRelay({
    sql: options.sql,
    schema: options.schema,
    publish: relayPublisher(options.bus),
    onError: (error) => {
      if (Date.now() - lastWarning < 10_000) return;
      lastWarning = Date.now();
      options.log.warn({ err: error }, 'outbox relay cannot publish yet; events wait in the outbox');
    },
  });
}
