import type { Transaction } from '@conduit/db';
import { withoutActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import type { WorkspaceDeps } from '../../deps.js';

// Sync history is written with no actor, through narrow functions of the schema's owner (migration
// 0002), so row-level security still shows a transaction without an actor no row at all.

/**
 * Forgets deletions older than SYNC_TOMBSTONE_RETENTION: tombstones, and team departures that
 * ended (left or rejoined) that long ago. Each scope's horizon is raised to the highest change
 * sequence removed from it in the same statement, so a client still behind it is told to sync
 * again from the start (readChanges) rather than silently keep a row deleted meanwhile. Works in
 * batches so no statement holds many rows; answers how many rows went.
 */
export async function pruneSyncHistory(
  deps: WorkspaceDeps,
  now = new Date(),
  batch = 5_000,
): Promise<number> {
  const before = new Date(now.getTime() - deps.env.SYNC_TOMBSTONE_RETENTION).toISOString();
  let removed = 0;
  for (;;) {
    const [result] = await withoutActor(deps.db, (tx) =>
      tx.execute<{ removed: number }>(
        sql`select workspace.prune_sync_history(${before}::timestamptz, ${batch}::integer) as removed`,
      ),
    );
    const count = Number(result?.removed ?? 0);
    removed += count;
    if (count === 0) return removed;
  }
}

/**
 * identity.team.member_removed: the user's next sync says to drop the team's rows, even while
 * their access token still names the team. The latest of several departures wins.
 */
export async function recordTeamDeparture(
  tx: Transaction,
  departure: { userId: string; teamId: string; at: Date },
): Promise<void> {
  await tx.execute(
    sql`select workspace.record_team_departure(${departure.userId}::uuid, ${departure.teamId}::uuid, ${departure.at.toISOString()}::timestamptz)`,
  );
}

/**
 * identity.team.member_added: a departure before it no longer applies (and one that arrives later
 * but happened earlier stays inactive: the consumers may apply the two out of order).
 */
export async function recordTeamReturn(
  tx: Transaction,
  arrival: { userId: string; teamId: string; at: Date },
): Promise<void> {
  await tx.execute(
    sql`select workspace.record_team_return(${arrival.userId}::uuid, ${arrival.teamId}::uuid, ${arrival.at.toISOString()}::timestamptz)`,
  );
}
