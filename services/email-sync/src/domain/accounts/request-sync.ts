import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { MailDeps } from '../../deps.js';
import { syncJobId } from '../../jobs/catalog.js';
import { accountFor } from './account-access.js';

/**
 * Queues a sync of the account now (one more runs after a running one when needed). Throws
 * not_found, forbidden without `email.write`, conflict for an account turned off or whose
 * credentials were refused (change them first).
 */
export async function requestSync(deps: MailDeps, actor: Actor, accountId: string) {
  const row = await asActor(deps.db, actor, (tx) => accountFor(tx, actor, accountId, 'email.write'));
  if (!row.active) throw new DomainError('conflict', 'The account is turned off; turn it on to sync it.');
  if (row.syncState === 'auth_error')
    throw new DomainError('conflict', 'The server refused the credentials; change them to sync again.');
  await deps.jobs.add('sync-account', { accountId }, { jobId: syncJobId(accountId, `asked-${Date.now()}`) });
  return { queued: true };
}
