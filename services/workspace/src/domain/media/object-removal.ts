import { withoutActor } from '@conduit/db';
import { asc, eq, sql } from 'drizzle-orm';
import { objectDeletions } from '../../db/schema.js';
import type { WorkspaceDeps } from '../../deps.js';

/**
 * Removes a deleted file's stored object, then its deletion request. The request was committed
 * with the file's deletion, so an object whose removal fails here (storage down, process killed)
 * is removed by the next sweep instead of staying forever.
 */
export async function removeObject(deps: WorkspaceDeps, storageKey: string): Promise<boolean> {
  try {
    await deps.store.delete(storageKey);
  } catch (error) {
    deps.log.warn({ err: error, storageKey }, 'stored object not removed yet; the sweep will retry');
    await withoutActor(deps.db, (tx) =>
      tx
        .update(objectDeletions)
        .set({ attempts: sql`${objectDeletions.attempts} + 1` })
        .where(eq(objectDeletions.storageKey, storageKey)),
    );
    return false;
  }
  await withoutActor(deps.db, (tx) =>
    tx.delete(objectDeletions).where(eq(objectDeletions.storageKey, storageKey)),
  );
  return true;
}

/** The sweep job: every pending removal, oldest first, a batch at a time. Answers how many went. */
export async function sweepObjects(deps: WorkspaceDeps, batch = 500): Promise<number> {
  const pending = await withoutActor(deps.db, (tx) =>
    tx
      .select({ storageKey: objectDeletions.storageKey })
      .from(objectDeletions)
      .orderBy(asc(objectDeletions.requestedAt))
      .limit(batch),
  );
  let removed = 0;
  for (const { storageKey } of pending) if (await removeObject(deps, storageKey)) removed += 1;
  return removed;
}
