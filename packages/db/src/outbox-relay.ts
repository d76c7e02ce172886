import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import { beginPipelined } from './pipelined-transaction.js';

/** The channel a schema's relays listen on for new outbox rows. */
export const outboxChannel = (schema: string) => `${schema}_outbox`;

/**
 * What a writer sends on the channel: this process's token. Every process of a service relays,
 * but the one that wrote the rows is the one to relay them at once: it is alive at its commit, and
 * the others would each spend a transaction finding nothing (SKIP LOCKED). Another process's rows
 * reach this one only through the poll, should their writer die before relaying them. An empty
 * payload (a writer that names no process) wakes every relay.
 */
export const outboxWakePayload = randomUUID();

export interface OutboxRow {
  id: string;
  subject: string;
  payload: unknown;
  traceparent: string | null;
}

export interface OutboxRelay {
  /** Publishes whatever is pending now; resolves with the number published. */
  flush(): Promise<number>;
  stop(): Promise<void>;
}

interface RelayOptions {
  sql: postgres.Sql;
  schema: string;
  /** Must resolve only once the broker has stored the message (a JetStream ack). */
  publish(row: OutboxRow): Promise<void>;
  onError?(error: unknown): void;
  pollIntervalMs?: number;
  batchSize?: number;
}

/**
 * Moves committed outbox rows to the bus. Woken by NOTIFY for low latency (by rows this process
 * wrote, see outboxWakePayload) and by a poll as a safety net. Rows are claimed with SKIP LOCKED so several replicas can relay side by side; a row
 * is marked published only after the broker acked it, and the broker de-duplicates on the row id,
 * so a crash between the two publishes nothing twice. When the bus is down the batch stops at
 * the first failure and is retried on the next tick, in order.
 */
export async function startOutboxRelay(options: RelayOptions): Promise<OutboxRelay> {
  const { sql, schema } = options;
  const table = sql(schema);
  const batchSize = options.batchSize ?? 100;
  let running: Promise<number> | undefined;
  let again = false;
  let stopped = false;

  const relayBatch = () =>
    beginPipelined(sql, '', async (tx) => {
      const rows = await tx<OutboxRow[]>`
        select id, subject, payload, traceparent from ${table}.outbox
        where published_at is null order by created_at, id limit ${batchSize} for update skip locked`;
      // One at a time, in order (each awaits the broker's ack); the rows published are then marked
      // in one statement, not one each.
      const published: string[] = [];
      let failure: { id: string; error: unknown } | undefined;
      for (const row of rows) {
        try {
          await options.publish(row);
          published.push(row.id);
        } catch (error) {
          failure = { id: row.id, error };
          break;
        }
      }
      // Sent without waiting: COMMIT follows in the same write, and fails the batch if they fail.
      if (published.length > 0)
        void tx`update ${table}.outbox set published_at = now(), attempts = attempts + 1, last_error = null
                where id = any(${published}::uuid[])`.execute();
      if (failure) {
        void tx`update ${table}.outbox set attempts = attempts + 1, last_error = ${String((failure.error as Error).message)}
                where id = ${failure.id}`.execute();
        options.onError?.(failure.error);
      }
      return {
        published: published.length,
        full: rows.length === batchSize && published.length === rows.length,
      };
    });

  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const { published, full } = await relayBatch();
      total += published;
      if (!full || stopped) return total;
    }
  }

  /** One drain at a time; a wake-up during a drain schedules exactly one more. */
  function flush(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = drain()
      .catch((error) => {
        options.onError?.(error);
        return 0;
      })
      .finally(() => {
        running = undefined;
        if (again && !stopped) {
          again = false;
          void flush();
        }
      });
    return running;
  }

  const listener = await sql.listen(outboxChannel(schema), (payload) => {
    if (payload === outboxWakePayload || payload === '') void flush();
  });
  const timer = setInterval(() => void flush(), options.pollIntervalMs ?? 1000);
  timer.unref();
  void flush();

  return {
    flush,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await listener.unlisten().catch(() => {});
      await running;
    },
  };
}
