import type { MailDeps } from '../deps.js';
import { activeAccountIds } from '../sync/owner-context.js';
import { syncAccount } from '../sync/sync-account.js';
import { withSyncLease } from '../sync/sync-lock.js';
import { syncJobId } from './catalog.js';

/** One sync of an account; deferred to the running one when another worker holds its lease. */
export async function syncAccountJob(deps: MailDeps, accountId: string, scope: 'all' | 'inbox' = 'all') {
  await withSyncLease(deps.redis, accountId, deps.env.SYNC_LEASE, () => syncAccount(deps, accountId, scope));
}

/** The poll: a sync job for every active account, one per account per SYNC_EVERY. */
export async function syncAllJob(deps: MailDeps) {
  const tick = Math.floor(Date.now() / deps.env.SYNC_EVERY);
  for (const accountId of await activeAccountIds(deps.db))
    await deps.jobs.add('sync-account', { accountId }, { jobId: syncJobId(accountId, `poll-${tick}`) });
}
