import { appendEvent } from '@conduit/bus';
import { emailEvents } from '@conduit/contracts';
import { type ActorContext, type Transaction, withActor } from '@conduit/db';
import { and, count, eq, sql } from 'drizzle-orm';
import type { ExpungeEvent, ImapFlow, MailboxObject } from 'imapflow';
import { emailFolders, emailMessages, outbox } from '../db/schema.js';
import type { MailDeps } from '../deps.js';
import type { AccountRow } from '../domain/accounts/account-dto.js';
import { ownerActor } from '../domain/accounts/account-state.js';
import type { FolderRow } from './folder-row.js';
import { requestIndexing } from './index-messages.js';
import { parseFetched, pendingOfFetched, storedFlags } from './parse-message.js';
import { type StorableMessage, storeMessages } from './store-messages.js';

/** What syncing one folder needs: the open connection, the account and whom to act as. */
export interface FolderSync {
  deps: MailDeps;
  client: ImapFlow;
  account: AccountRow;
  ctx: ActorContext;
  /** False once the account was deleted or its servers changed: stop at the next batch. */
  stillCurrent(): Promise<boolean>;
}

/**
 * What one folder's sync did, for logs and tests: how flags were followed (CONDSTORE's
 * CHANGEDSINCE, a full check, or neither this time) and how deletions were found (QRESYNC's
 * VANISHED, a UID compare, or none needed).
 */
export interface FolderSyncReport {
  path: string;
  flags: 'changed-since' | 'full-check' | 'none';
  deletions: 'vanished' | 'uid-compare' | 'none';
  deleted: number;
}

/**
 * UIDs VANISHED may report at most for one sync: a server may name UIDs it never had (RFC 7162
 * lets it send a superset), and past this the UID compare is the cheaper way to the same answer.
 */
const VANISHED_MAX = 100_000;

const FETCH_QUERY = {
  uid: true,
  flags: true,
  internalDate: true,
  size: true,
  envelope: true,
  bodyStructure: true,
} as const;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Fetches the given UIDs of the selected folder (sources cut at MESSAGE_MAX_BYTES). `parse`:
 * each is parsed now (mail to announce: its event carries what parsing finds). `defer`: stored
 * unparsed with its source for the indexing pass, which is what makes a first sync about as fast
 * as copying the mailbox; a message larger than BODY_MAX_BYTES is parsed now all the same, so no
 * more than that of any source is held here or written to Postgres for the pass.
 */
async function fetchMessages(
  s: FolderSync,
  uids: number[],
  mode: 'parse' | 'defer',
): Promise<StorableMessage[]> {
  if (uids.length === 0) return [];
  const limits = { bodyMax: s.deps.env.BODY_MAX_BYTES, sourceMax: s.deps.env.MESSAGE_MAX_BYTES };
  const wanted = new Set(uids);
  const fetched: StorableMessage[] = [];
  for await (const message of s.client.fetch(
    uids.join(','),
    { ...FETCH_QUERY, source: { maxLength: limits.sourceMax } },
    { uid: true },
  )) {
    if (!wanted.has(message.uid)) continue;
    const small = (message.size ?? message.source?.length ?? 0) <= limits.bodyMax;
    fetched.push(
      mode === 'defer' && small
        ? await pendingOfFetched(message, limits)
        : await parseFetched(message, limits),
    );
  }
  return fetched;
}

const update = (tx: Transaction, folder: FolderRow, set: Partial<typeof emailFolders.$inferInsert>) =>
  tx
    .update(emailFolders)
    .set({ ...set, updatedAt: sql`now()` })
    .where(eq(emailFolders.id, folder.id))
    .returning()
    .then((rows) => rows[0] ?? folder);

const uidsOf = async (client: ImapFlow, query: Parameters<ImapFlow['search']>[0]) =>
  ((await client.search(query, { uid: true })) || []) as number[];

/**
 * Syncs one folder, choosing per EmailEngine's rule the cheapest correct path: a UIDVALIDITY
 * change resets it; an unfinished first sync goes on in batches, newest first (each batch
 * committed with its progress, so a killed worker resumes where it stopped); afterwards new UIDs
 * from UIDNEXT are announced, flags follow CONDSTORE's CHANGEDSINCE (or a full compare at most
 * every FLAG_CHECK_EVERY), and deletions come from QRESYNC's VANISHED, else from comparing UIDs
 * when the counts differ. Answers what it did, once the folder's first sync is done.
 */
export async function syncFolder(s: FolderSync, folder: FolderRow): Promise<FolderSyncReport | undefined> {
  const lock = await s.client.getMailboxLock(folder.path);
  try {
    const box = s.client.mailbox as MailboxObject;
    const uidvalidity = Number(box.uidValidity);
    let row = folder;
    if (row.uidvalidity !== null && row.uidvalidity !== uidvalidity)
      row = await resetFolder(s, row, uidvalidity);
    else if (row.uidvalidity === null)
      row = await withActor(s.deps.db, s.ctx, (tx) => update(tx, row, { uidvalidity }));
    if (!row.firstSyncDone) {
      row = await firstSync(s, row, box, uidvalidity);
      if (!row.firstSyncDone) return undefined;
    }
    return await incrementalSync(s, row, box, uidvalidity);
  } finally {
    lock.release();
  }
}

/** A new UIDVALIDITY: the folder's old UIDs mean nothing now. Its rows go, unannounced, and it is read again. */
async function resetFolder(s: FolderSync, folder: FolderRow, uidvalidity: number): Promise<FolderRow> {
  return withActor(s.deps.db, s.ctx, async (tx) => {
    await tx.delete(emailMessages).where(eq(emailMessages.folderId, folder.id));
    await appendEvent(
      tx,
      outbox,
      emailEvents.folderReset,
      {
        accountId: s.account.id,
        ownerUserId: s.account.userId,
        teamId: s.account.teamId,
        folderId: folder.id,
        folderPath: folder.path,
        previousUidvalidity: folder.uidvalidity,
        uidvalidity,
      },
      ownerActor(s.account),
    );
    return update(tx, folder, {
      uidvalidity,
      uidnext: null,
      highestmodseq: null,
      firstSyncBelow: null,
      firstSyncDone: false,
      firstSyncTotal: 0,
      firstSyncFetched: 0,
    });
  });
}

/**
 * The first read of a folder: what is on the server when it starts, in batches from the newest
 * UID down. Nothing here is announced (it is not new mail); what arrives meanwhile has a UID at or
 * above the starting UIDNEXT and is announced by the incremental sync that follows.
 */
async function firstSync(s: FolderSync, folder: FolderRow, box: MailboxObject, uidvalidity: number) {
  let row = folder;
  if (row.firstSyncBelow === null) {
    row = await withActor(s.deps.db, s.ctx, (tx) =>
      update(tx, row, {
        firstSyncBelow: box.uidNext,
        uidnext: box.uidNext,
        highestmodseq: box.highestModseq ?? null,
        firstSyncTotal: box.exists,
        firstSyncFetched: 0,
        messageCount: box.exists,
      }),
    );
  }
  const below = row.firstSyncBelow!;
  const uids = (await uidsOf(s.client, { all: true })).filter((uid) => uid < below).sort((a, b) => b - a);
  // Pipelined: Postgres stores one batch while the next is fetched and parsed here. Batches are
  // stored in order, one at a time, so the committed cursor only ever moves down.
  let storing: Promise<void> = Promise.resolve();
  let failed: unknown;
  // Each stored batch wakes the indexing pass, which follows right behind: the fetching here and
  // the parsing there share this process, and Postgres's inserts and vector updates overlap them
  // (the pass after the whole folder left Postgres idle during one and the worker during the other).
  const store = (batch: number[], messages: StorableMessage[]) =>
    withActor(s.deps.db, s.ctx, async (tx) => {
      const stored = await storeMessages(tx, s.account, row, uidvalidity, messages, false);
      row = await update(tx, row, {
        firstSyncBelow: Math.min(...batch),
        firstSyncFetched: sql`${emailFolders.firstSyncFetched} + ${stored}` as unknown as number,
      });
    })
      // Not queued (Redis away): the end of the sync queues it for what is left unindexed.
      .then(() => requestIndexing(s.deps, s.account.id).catch(() => {}))
      .catch((error: unknown) => {
        failed = error;
      });
  for (const batch of chunks(uids, s.deps.env.SYNC_BATCH)) {
    if (failed) break;
    // The account's check goes beside the fetch, not before it: on a busy machine its round trip
    // took as long as the fetch itself. A batch fetched for an account that changed is dropped.
    const checking = s.stillCurrent();
    const messages = await fetchMessages(s, batch, 'defer').catch(async (error: unknown) => {
      await checking.catch(() => {});
      throw error;
    });
    if (!(await checking)) break;
    await storing;
    if (failed) break;
    storing = store(batch, messages);
  }
  await storing;
  if (failed) throw failed;
  // Stopped early (the account changed): the rest is for the next sync.
  if (uids.some((uid) => uid < row.firstSyncBelow!)) return row;
  return withActor(s.deps.db, s.ctx, (tx) =>
    update(tx, row, { firstSyncDone: true, lastSyncAt: new Date() }),
  );
}

/**
 * After the first sync: new UIDs, then flags and deletions by the cheapest correct path. With
 * QRESYNC, one `UID FETCH 1:* (FLAGS) (CHANGEDSINCE m VANISHED)` answers both the flags changed
 * since the stored HIGHESTMODSEQ and the UIDs expunged since then (VANISHED (EARLIER)), and a
 * VANISHED the server sends on its own while the folder is open counts too. Without it, flags are
 * followed by CONDSTORE or a full check at most every FLAG_CHECK_EVERY, and deletions by comparing
 * UIDs, which also runs when the stored count still differs from the server's after VANISHED.
 */
async function incrementalSync(
  s: FolderSync,
  folder: FolderRow,
  box: MailboxObject,
  uidvalidity: number,
): Promise<FolderSyncReport> {
  const report: FolderSyncReport = { path: folder.path, flags: 'none', deletions: 'none', deleted: 0 };
  const condstore = box.highestModseq !== undefined && !box.noModseq;
  const qresync = condstore && s.client.enabled.has('QRESYNC') && folder.highestmodseq !== null;
  const vanished = new Set<number>();
  let vanishedOverflow = false;
  const onExpunge = (event: ExpungeEvent) => {
    if (!event.vanished || event.uid === undefined || event.path !== folder.path) return;
    if (vanished.size >= VANISHED_MAX) vanishedOverflow = true;
    else vanished.add(event.uid);
  };
  s.client.on('expunge', onExpunge);
  try {
    await newMail(s, folder, box, uidvalidity);

    // Flags: what changed since the last HIGHESTMODSEQ, or all of them now and then without CONDSTORE.
    const fullCheckDue =
      !folder.lastFullCheckAt || Date.now() - folder.lastFullCheckAt.getTime() >= s.deps.env.FLAG_CHECK_EVERY;
    if (condstore && folder.highestmodseq !== null) {
      if (box.highestModseq! > folder.highestmodseq) {
        await applyFlags(s, folder, uidvalidity, { changedSince: folder.highestmodseq });
        report.flags = 'changed-since';
      }
    } else if (fullCheckDue) {
      await applyFlags(s, folder, uidvalidity, {});
      report.flags = 'full-check';
    }

    if (qresync && !vanishedOverflow && vanished.size > 0) {
      report.deleted += await deleteMessages(s, folder, uidvalidity, { uids: [...vanished] });
      report.deletions = 'vanished';
    }
    // Without QRESYNC (or when VANISHED did not account for every row): compare UIDs when more
    // or fewer rows are stored than the server holds.
    if ((await storedCount(s, folder, uidvalidity)) !== box.exists) {
      report.deleted += await compareUids(s, folder, uidvalidity, box.uidNext);
      report.deletions = 'uid-compare';
    }
  } finally {
    s.client.off('expunge', onExpunge);
  }

  const unread = (await uidsOf(s.client, { seen: false })).length;
  await withActor(s.deps.db, s.ctx, (tx) =>
    update(tx, folder, {
      uidnext: Math.max(box.uidNext, folder.uidnext ?? 1),
      highestmodseq: box.highestModseq ?? null,
      messageCount: box.exists,
      unreadCount: unread,
      lastSyncAt: new Date(),
      ...(report.flags === 'full-check' && { lastFullCheckAt: new Date() }),
    }),
  );
  return report;
}

/** New mail: UIDs from the last UIDNEXT on (`n:*` also answers the last message when none is newer), announced. */
async function newMail(s: FolderSync, folder: FolderRow, box: MailboxObject, uidvalidity: number) {
  const known = folder.uidnext ?? 1;
  if (box.uidNext <= known) return;
  const fresh = (await uidsOf(s.client, { uid: `${known}:*` }))
    .filter((uid) => uid >= known)
    .sort((a, b) => a - b);
  for (const batch of chunks(fresh, s.deps.env.SYNC_BATCH)) {
    const messages = await fetchMessages(s, batch, 'parse');
    await withActor(s.deps.db, s.ctx, (tx) =>
      storeMessages(tx, s.account, folder, uidvalidity, messages, true),
    );
  }
}

const storedCount = async (s: FolderSync, folder: FolderRow, uidvalidity: number) => {
  const [stored] = await withActor(s.deps.db, s.ctx, (tx) =>
    tx
      .select({ n: count() })
      .from(emailMessages)
      .where(and(eq(emailMessages.folderId, folder.id), eq(emailMessages.uidvalidity, uidvalidity))),
  );
  return stored?.n ?? 0;
};

/** Stores the server's flags of the folder's messages (those changed since a MODSEQ, or all). */
async function applyFlags(
  s: FolderSync,
  folder: FolderRow,
  uidvalidity: number,
  options: { changedSince?: bigint },
) {
  const changes: { uid: number; flags: string[] }[] = [];
  for await (const message of s.client.fetch(
    '1:*',
    { uid: true, flags: true },
    { uid: true, ...(options.changedSince !== undefined && { changedSince: options.changedSince }) },
  ))
    changes.push({ uid: message.uid, flags: storedFlags(message.flags) });
  if (changes.length === 0) return;
  await withActor(s.deps.db, s.ctx, async (tx) => {
    const updated = await tx.execute<{ id: string; flags: string[] }>(sql`
      update email.email_messages m set flags = v.flags, updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(changes)}::jsonb) as v(uid bigint, flags text[])
      where m.folder_id = ${folder.id} and m.uidvalidity = ${uidvalidity} and m.uid = v.uid
        and (select coalesce(array_agg(f order by f collate "C"), '{}') from unnest(m.flags) f) is distinct from v.flags
      returning m.id, m.flags`);
    for (const row of updated)
      await appendEvent(
        tx,
        outbox,
        emailEvents.messageUpdated,
        {
          accountId: s.account.id,
          ownerUserId: s.account.userId,
          teamId: s.account.teamId,
          folderId: folder.id,
          messageId: row.id,
          flags: row.flags,
        },
        ownerActor(s.account),
      );
  });
}

/**
 * Deletes the folder's rows with these row ids or UIDs (expunged or moved away on the server),
 * each announced as deleted in the same transaction. Answers how many went.
 */
async function deleteMessages(
  s: FolderSync,
  folder: FolderRow,
  uidvalidity: number,
  which: { ids: string[] } | { uids: number[] },
): Promise<number> {
  return withActor(s.deps.db, s.ctx, async (tx) => {
    const deleted = await tx
      .delete(emailMessages)
      .where(
        and(
          eq(emailMessages.folderId, folder.id),
          eq(emailMessages.uidvalidity, uidvalidity),
          'ids' in which
            ? sql`${emailMessages.id} = any(${sql.param(which.ids)}::uuid[])`
            : sql`${emailMessages.uid} = any(${sql.param(which.uids)}::bigint[])`,
        ),
      )
      .returning({ id: emailMessages.id });
    for (const row of deleted)
      await appendEvent(
        tx,
        outbox,
        emailEvents.messageDeleted,
        {
          accountId: s.account.id,
          ownerUserId: s.account.userId,
          teamId: s.account.teamId,
          folderId: folder.id,
          messageId: row.id,
        },
        ownerActor(s.account),
      );
    return deleted.length;
  });
}

/**
 * Rows whose UID the server no longer has were expunged (or moved): they go, each announced as
 * deleted. Messages the server has below UIDNEXT that are not stored (a batch lost to an error)
 * are fetched now, unannounced. Answers how many rows went.
 */
async function compareUids(s: FolderSync, folder: FolderRow, uidvalidity: number, uidNext: number) {
  const onServer = await uidsOf(s.client, { all: true });
  const serverSet = new Set(onServer);
  const storedUids = await withActor(s.deps.db, s.ctx, (tx) =>
    tx
      .select({ id: emailMessages.id, uid: emailMessages.uid })
      .from(emailMessages)
      .where(and(eq(emailMessages.folderId, folder.id), eq(emailMessages.uidvalidity, uidvalidity))),
  );
  const gone = storedUids.filter((row) => !serverSet.has(row.uid));
  const storedSet = new Set(storedUids.map((row) => row.uid));
  const missing = onServer.filter((uid) => !storedSet.has(uid) && uid < uidNext);
  const deleted = gone.length
    ? await deleteMessages(s, folder, uidvalidity, { ids: gone.map((row) => row.id) })
    : 0;
  for (const batch of chunks(missing, s.deps.env.SYNC_BATCH)) {
    const messages = await fetchMessages(s, batch, 'defer');
    await withActor(s.deps.db, s.ctx, (tx) =>
      storeMessages(tx, s.account, folder, uidvalidity, messages, false),
    );
  }
  return deleted;
}
