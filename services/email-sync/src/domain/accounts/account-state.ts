import { appendEvent } from '@conduit/bus';
import { emailEvents } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { eq, sql } from 'drizzle-orm';
import { outbox, type SyncState, userEmailAccounts } from '../../db/schema.js';
import type { AccountRow } from './account-dto.js';

/** The event actor of work done for an account without a request: its owner. */
export const ownerActor = (row: Pick<AccountRow, 'userId' | 'organizationId'>) => ({
  userId: row.userId,
  sessionId: null,
  orgId: row.organizationId,
});

/** Going from syncing to idle and back happens at every poll: not news. */
const routine = (from: SyncState, to: SyncState) =>
  (from === 'syncing' || from === 'idle') && (to === 'syncing' || to === 'idle');

/**
 * Moves an account to `state` (with the server's reason for error states) and, when the state
 * changed (other than between syncing and idle), records `email.account.state_changed` in the same transaction. Answers the new row.
 */
export async function setAccountState(
  tx: Transaction,
  row: AccountRow,
  state: SyncState,
  change: { error?: string | null; synced?: boolean; retryAfter?: Date | null; failures?: number } = {},
): Promise<AccountRow> {
  const [updated] = await tx
    .update(userEmailAccounts)
    .set({
      syncState: state,
      ...(change.error !== undefined
        ? { lastError: change.error, lastErrorAt: change.error ? new Date() : null }
        : {}),
      ...(change.synced ? { lastSyncAt: new Date() } : {}),
      ...(change.retryAfter !== undefined ? { retryAfter: change.retryAfter } : {}),
      ...(change.failures !== undefined ? { connectFailures: change.failures } : {}),
      updatedAt: sql`now()`,
    })
    .where(eq(userEmailAccounts.id, row.id))
    .returning();
  if (!updated) return row;
  if (row.syncState !== state && !routine(row.syncState, state))
    await appendEvent(
      tx,
      outbox,
      emailEvents.accountStateChanged,
      {
        accountId: row.id,
        ownerUserId: row.userId,
        teamId: row.teamId,
        state,
        previousState: row.syncState,
        error: change.error ?? null,
      },
      ownerActor(row),
    );
  return updated;
}
