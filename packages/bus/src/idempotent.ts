import type { EventEnvelope } from '@conduit/contracts';
import type { Database, processedEventsTable, Transaction } from '@conduit/db';

/**
 * Wraps an event handler so that its effect and the record of having applied it commit together:
 * a redelivered event finds its record and does nothing. Returns whether the effect ran.
 */
export function idempotently<T extends EventEnvelope<unknown>>(
  db: Database,
  processedEvents: ReturnType<typeof processedEventsTable>,
  consumer: string,
  effect: (tx: Transaction, envelope: T) => Promise<void>,
): (envelope: T) => Promise<boolean> {
  return (envelope) =>
    db.transaction(async (tx) => {
      const claimed = await tx
        .insert(processedEvents)
        .values({ consumer, eventId: envelope.id })
        .onConflictDoNothing()
        .returning({ eventId: processedEvents.eventId });
      if (claimed.length === 0) return false;
      await effect(tx, envelope);
      return true;
    });
}
