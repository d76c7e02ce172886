import type { MailDeps } from '../../deps.js';
import { accountsDueForPoll } from '../../sync/idle-presence.js';
import { indexAccountMessages, requestIndexing } from '../../sync/index-messages.js';
import { activeAccountIds } from '../../sync/owner-context.js';
import { syncAccount } from '../../sync/sync-account.js';
import { withSyncLease } from '../../sync/sync-lock.js';
import { syncJobId } from '../catalog.js';

/** One sync of an account; deferred to the running one when another worker holds its lease. */
export async function syncAccountJob(deps: MailDeps, accountId: string, scope: 'all' | 'inbox' = 'all') {
  await withSyncLease(
    deps.redis,
    accountId,
    deps.env.SYNC_LEASE,
    async () => {
      await syncAccount(deps, accountId, scope);
    },
    'sync',
    async () => {
      await deps.jobs.add(
        'sync-account',
        { accountId, scope },
        { jobId: syncJobId(accountId, `again-${Date.now()}`) },
      );
    },
  );
}

/** The indexing pass of an account; a request while one runs makes it go round once more. */
export async function indexMessagesJob(deps: MailDeps, accountId: string) {
  await withSyncLease(
    deps.redis,
    accountId,
    deps.env.SYNC_LEASE,
    async () => {
      await indexAccountMessages(deps, accountId);
    },
    'index',
    () => requestIndexing(deps, accountId),
  );
}

/**
 * The poll: a sync job for every active account, one per account per SYNC_EVERY; an account whose
 * Inbox IDLE is live only every SYNC_EVERY_WHILE_IDLE (IDLE syncs its Inbox when it changes, and
 * each poll is an IMAP login: at hundreds of accounts, most of the logins there were).
 */
export async function syncAllJob(deps: MailDeps) {
  const tick = Math.floor(Date.now() / deps.env.SYNC_EVERY);
  for (const accountId of await accountsDueForPoll(deps.redis, await activeAccountIds(deps.db)))
    await deps.jobs.add('sync-account', { accountId }, { jobId: syncJobId(accountId, `poll-${tick}`) });
}
