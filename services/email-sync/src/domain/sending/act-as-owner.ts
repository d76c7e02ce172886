import type { Transaction } from '@conduit/db';
import { sql } from 'drizzle-orm';

export interface Owner {
  userId: string;
  orgId: string | null;
  teamId: string | null;
}

/**
 * The rest of this transaction runs as `owner` under row-level security: work that starts from an
 * event, not a request (a bot's or a service's mail request), writes its rows as whose they are.
 */
export async function actAsOwner(tx: Transaction, owner: Owner) {
  const teams = owner.teamId ?? '';
  await tx.execute(sql`select
    set_config('app.user_id', ${owner.userId}, true),
    set_config('app.org_id', ${owner.orgId ?? ''}, true),
    set_config('app.team_ids', ${teams}, true),
    set_config('app.writable_team_ids', ${teams}, true)`);
}
