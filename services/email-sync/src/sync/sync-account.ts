import { withActor } from '@conduit/db';
import { eq } from 'drizzle-orm';
import type { ImapFlow } from 'imapflow';
import { userEmailAccounts } from '../db/schema.js';
import type { MailDeps } from '../deps.js';
import type { AccountRow } from '../domain/accounts/account-dto.js';
import { accountServers } from '../domain/accounts/account-servers.js';
import { setAccountState } from '../domain/accounts/account-state.js';
import { closeImap, openImap } from '../mail/imap-client.js';
import { mailFailureOf } from '../mail/mail-server.js';
import { markFullSync } from './idle-presence.js';
import { hasUnindexed, requestIndexing } from './index-messages.js';
import { accountOwnerContext } from './owner-context.js';
import { type FolderSyncReport, syncFolder } from './sync-folder.js';
import { syncFolderList } from './sync-folder-list.js';

const MAX_BACKOFF_MS = 30 * 60_000;

/** How long to wait after `failures` connection errors in a row: CONNECT_BACKOFF doubled each time, at most 30 minutes. */
export const backoffAfter = (base: number, failures: number) =>
  Math.min(MAX_BACKOFF_MS, base * 2 ** Math.max(0, failures - 1));

/**
 * One sync of an account, as its owner: folders, then each folder (the Inbox first, or only the
 * Inbox for `scope: 'inbox'`, as IDLE asks). A refused login sets `auth_error` and nothing retries
 * it until the account changes; a server that cannot be reached sets `connect_error` with a
 * growing wait before the next attempt. Neither throws: the poll, not the job's retries, decides
 * when to try again, so a broken account cannot become a storm of logins. Answers what each
 * folder's sync did (logged at debug level too).
 */
export async function syncAccount(
  deps: MailDeps,
  accountId: string,
  scope: 'all' | 'inbox' = 'all',
): Promise<FolderSyncReport[]> {
  const reports: FolderSyncReport[] = [];
  const ctx = await accountOwnerContext(deps.db, accountId);
  if (!ctx) return reports;
  const load = () =>
    withActor(deps.db, ctx, (tx) =>
      tx
        .select()
        .from(userEmailAccounts)
        .where(eq(userEmailAccounts.id, accountId))
        .then((rows) => rows[0]),
    );
  let account = await load();
  if (!account?.active || account.syncState === 'auth_error') return reports;
  if (account.retryAfter && account.retryAfter.getTime() > Date.now()) return reports;
  const configVersion = account.configVersion;
  const stillCurrent = async () => (await load())?.configVersion === configVersion;

  let client: ImapFlow;
  try {
    client = await openImap(deps, accountServers(deps.box, account).imap, { label: accountId });
  } catch (error) {
    await recordFailure(deps, ctx, account, error);
    return reports;
  }
  try {
    account = await withActor(deps.db, ctx, (tx) => setAccountState(tx, account!, 'syncing'));
    const folders = await syncFolderList(deps, client, ctx, account);
    for (const folder of scope === 'inbox' ? folders.filter((f) => f.specialUse === 'inbox') : folders) {
      if (!(await stillCurrent())) return reports;
      try {
        const report = await syncFolder({ deps, client, account, ctx, stillCurrent }, folder);
        if (report) reports.push(report);
      } catch (error) {
        // A folder deleted between LIST and SELECT is gone at the next sync; others stop the sync.
        if ((error as { mailboxMissing?: boolean }).mailboxMissing) continue;
        throw error;
      }
    }
    if (scope === 'all') await markFullSync(deps.redis, accountId, deps.env.SYNC_EVERY_WHILE_IDLE);
    // Messages stored unparsed whose pass was not queued or did not finish (a worker killed in
    // between, messages found missing by a UID compare): the pass picks them up.
    if (await hasUnindexed(deps, ctx, accountId)) await requestIndexing(deps, accountId);
    await withActor(deps.db, ctx, async (tx) => {
      const current = await tx.select().from(userEmailAccounts).where(eq(userEmailAccounts.id, accountId));
      if (current[0]?.configVersion !== configVersion) return;
      await setAccountState(tx, current[0], 'idle', {
        synced: true,
        error: null,
        failures: 0,
        retryAfter: null,
      });
    });
  } catch (error) {
    deps.log.warn({ accountId, err: { message: (error as Error).message } }, 'mail sync stopped');
    await recordFailure(deps, ctx, account, error);
  } finally {
    await closeImap(client);
  }
  deps.log.debug({ accountId, folders: reports }, 'mail sync done');
  return reports;
}

async function recordFailure(
  deps: MailDeps,
  ctx: NonNullable<Awaited<ReturnType<typeof accountOwnerContext>>>,
  account: AccountRow,
  error: unknown,
) {
  const failure = mailFailureOf(error);
  await withActor(deps.db, ctx, async (tx) => {
    const [current] = await tx.select().from(userEmailAccounts).where(eq(userEmailAccounts.id, account.id));
    // Servers or credentials changed meanwhile: this failure is about the old ones.
    if (!current || current.configVersion !== account.configVersion) return;
    if (failure.kind === 'auth' || failure.kind === 'refused') {
      await setAccountState(tx, current, 'auth_error', { error: failure.reason });
      return;
    }
    const failures = current.connectFailures + 1;
    await setAccountState(tx, current, 'connect_error', {
      error: failure.reason,
      failures,
      retryAfter: new Date(Date.now() + backoffAfter(deps.env.CONNECT_BACKOFF, failures)),
    });
  });
}
