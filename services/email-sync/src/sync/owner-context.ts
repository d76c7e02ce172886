import type { ActorContext, Database } from '@conduit/db';
import { withoutActor } from '@conduit/db';
import { sql } from 'drizzle-orm';

/**
 * Who a job acts as for an account it only knows by id: the account's owner, with its team
 * (row-level security then lets the job see and change exactly that account's rows). Null when
 * the account is gone.
 */
export async function accountOwnerContext(db: Database, accountId: string): Promise<ActorContext | null> {
  const rows = await withoutActor(db, (tx) =>
    tx.execute<{ user_id: string; organization_id: string | null; team_id: string | null }>(
      sql`select user_id, organization_id, team_id from email.account_owner(${accountId})`,
    ),
  );
  const owner = rows[0];
  if (!owner) return null;
  const teams = owner.team_id ? [owner.team_id] : [];
  return { userId: owner.user_id, orgId: owner.organization_id, teamIds: teams, writableTeamIds: teams };
}

/** Ids of the accounts to keep in sync (active, credentials not refused). */
export async function activeAccountIds(db: Database): Promise<string[]> {
  const rows = await withoutActor(db, (tx) =>
    tx.execute<{ id: string }>(sql`select id from email.active_account_ids() as id`),
  );
  return rows.map((row) => row.id);
}

/**
 * The accounts to keep in sync with the version of their servers and credentials, in one
 * look-up (the IDLE watcher asks every few seconds).
 */
export async function activeAccountVersions(db: Database): Promise<Map<string, number>> {
  const rows = await withoutActor(db, (tx) =>
    tx.execute<{ id: string; config_version: number }>(
      sql`select id, config_version from email.active_account_versions()`,
    ),
  );
  return new Map(rows.map((row) => [row.id, row.config_version]));
}
