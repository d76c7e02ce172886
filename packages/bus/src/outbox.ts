import type { EventActor, EventData, EventDefinition, EventEnvelope } from '@conduit/contracts';
import { outboxChannel, type outboxTable, outboxWakePayload, type Transaction } from '@conduit/db';
import { currentTraceparent } from '@conduit/telemetry';
import { type SQL, sql } from 'drizzle-orm';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { uuidv7 } from 'uuidv7';

/**
 * Records an event in the service's outbox inside the caller's transaction: it is published only
 * if the change commits, and it is not lost if the bus is down. Returns the envelope.
 */
export async function appendEvent<E extends EventDefinition>(
  tx: Transaction,
  outbox: ReturnType<typeof outboxTable>,
  event: E,
  data: EventData<E>,
  actor: EventActor | null,
): Promise<EventEnvelope<EventData<E>>> {
  const envelope = event.envelope.parse({
    id: uuidv7(),
    subject: event.subject,
    version: event.version,
    occurredAt: new Date().toISOString(),
    actor,
    data,
  }) as EventEnvelope<EventData<E>>;
  // The insert and the wake-up are one statement. The relay is woken at commit: NOTIFY is
  // delivered only if the transaction commits, and not at all if the insert failed.
  await insertAndWake(tx, outbox, [
    { id: envelope.id, subject: event.subject, payload: envelope, traceparent: currentTraceparent() ?? null },
  ]);
  return envelope;
}

/**
 * Records several events of one kind in one insert (and one wake-up of the relay), inside the
 * caller's transaction, as appendEvent does for one: for work done in batches (the knowledge
 * base's indexer stores dozens of documents per transaction). Returns the envelopes in order.
 */
export async function appendEvents<E extends EventDefinition>(
  tx: Transaction,
  outbox: ReturnType<typeof outboxTable>,
  event: E,
  items: { data: EventData<E>; actor: EventActor | null }[],
): Promise<EventEnvelope<EventData<E>>[]> {
  if (items.length === 0) return [];
  const traceparent = currentTraceparent() ?? null;
  const envelopes = items.map(
    ({ data, actor }) =>
      event.envelope.parse({
        id: uuidv7(),
        subject: event.subject,
        version: event.version,
        occurredAt: new Date().toISOString(),
        actor,
        data,
      }) as EventEnvelope<EventData<E>>,
  );
  await insertAndWake(
    tx,
    outbox,
    envelopes.map((envelope) => ({
      id: envelope.id,
      subject: event.subject,
      payload: envelope,
      traceparent,
    })),
  );
  return envelopes;
}

interface OutboxInsert {
  id: string;
  subject: string;
  payload: unknown;
  traceparent: string | null;
}

/** Each outbox table's quoted name and wake-up channel, worked out once (not per event). */
const targets = new WeakMap<object, { table: SQL; channel: string }>();
function targetOf(outbox: ReturnType<typeof outboxTable>) {
  let target = targets.get(outbox);
  if (!target) {
    const { schema, name } = getTableConfig(outbox);
    target = {
      table: sql`${sql.identifier(schema!)}.${sql.identifier(name)}`,
      channel: outboxChannel(schema!),
    };
    targets.set(outbox, target);
  }
  return target;
}

/**
 * The outbox insert and the relay's wake-up in one statement (each statement costs both sides).
 * The wake-up names this process, so that only its own relay runs at once (see outboxWakePayload).
 * Written out rather than built by drizzle's insert builder: building it (and the table's config
 * with it) was most of an event's cost in the process, twice per workflow execution.
 */
const insertAndWake = (tx: Transaction, outbox: ReturnType<typeof outboxTable>, rows: OutboxInsert[]) => {
  const { table, channel } = targetOf(outbox);
  const values = sql.join(
    rows.map(
      (row) =>
        sql`(${row.id}::uuid, ${row.subject}, ${JSON.stringify(row.payload)}::jsonb, ${row.traceparent})`,
    ),
    sql`, `,
  );
  return tx.execute(
    sql`with inserted as (insert into ${table} (id, subject, payload, traceparent) values ${values})
      select pg_notify(${channel}, ${outboxWakePayload})`,
  );
};
