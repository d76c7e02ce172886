import { asActor } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { type Actor, emailEvents, toEventActor } from '@conduit/contracts';
import { isUniqueViolation, type Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, sql } from 'drizzle-orm';
import type { ImapFlow, MailboxObject } from 'imapflow';
import { emailFolders, emailMessages, outbox } from '../../db/schema.js';
import type { MailDeps } from '../../deps.js';
import type { FolderRow } from '../../sync/folder-row.js';
import type { AccountRow } from '../accounts/account-dto.js';
import { withAccountImap } from '../accounts/account-imap.js';
import { messageFor } from './message-access.js';
import { type MessageRow, toMessageSummary } from './message-dto.js';

/** The selected folder still has the UIDVALIDITY the message was stored under; else its UID means nothing. */
async function selectFolder(client: ImapFlow, folder: FolderRow, message: MessageRow) {
  const lock = await client.getMailboxLock(folder.path).catch(() => {
    throw new DomainError('conflict', 'The folder is no longer on the server; it goes at the next sync.');
  });
  if (Number((client.mailbox as MailboxObject).uidValidity) !== message.uidvalidity) {
    lock.release();
    throw new DomainError(
      'conflict',
      'The folder was reset on the server; it is read again at the next sync.',
    );
  }
  return lock;
}

const owner = (account: AccountRow) => ({
  accountId: account.id,
  ownerUserId: account.userId,
  teamId: account.teamId,
});

async function recordFlags(
  tx: Transaction,
  actor: Actor,
  account: AccountRow,
  message: MessageRow,
  flags: string[],
) {
  const [row] = await tx
    .update(emailMessages)
    .set({ flags, updatedAt: sql`now()` })
    .where(eq(emailMessages.id, message.id))
    .returning();
  if (!row) throw new DomainError('not_found', 'No such message among yours.');
  if (JSON.stringify(message.flags) !== JSON.stringify(flags))
    await appendEvent(
      tx,
      outbox,
      emailEvents.messageUpdated,
      { ...owner(account), folderId: message.folderId, messageId: message.id, flags },
      toEventActor(actor),
    );
  return row;
}

/**
 * Marks a message read or unread, flagged or not: on the server first, then here (with
 * `email.message.updated`). Throws not_found, forbidden without `email.write`, conflict when the
 * folder changed on the server, bad_gateway when the server cannot be used.
 */
export async function setMessageFlags(
  deps: MailDeps,
  actor: Actor,
  messageId: string,
  change: { seen?: boolean | undefined; flagged?: boolean | undefined },
) {
  const { message, folder, account } = await asActor(deps.db, actor, (tx) =>
    messageFor(tx, actor, messageId, 'email.write'),
  );
  const add = [
    ...(change.seen === true ? ['\\Seen'] : []),
    ...(change.flagged === true ? ['\\Flagged'] : []),
  ];
  const remove = [
    ...(change.seen === false ? ['\\Seen'] : []),
    ...(change.flagged === false ? ['\\Flagged'] : []),
  ];
  const flags = await withAccountImap(deps, account, async (client) => {
    const lock = await selectFolder(client, folder, message);
    try {
      const range = String(message.uid);
      if (add.length) await client.messageFlagsAdd(range, add, { uid: true });
      if (remove.length) await client.messageFlagsRemove(range, remove, { uid: true });
      const fetched = await client.fetchOne(range, { uid: true, flags: true }, { uid: true });
      if (!fetched) throw new DomainError('conflict', 'The message is no longer on the server.');
      return [...(fetched.flags ?? [])].sort();
    } finally {
      lock.release();
    }
  });
  const row = await asActor(deps.db, actor, (tx) => recordFlags(tx, actor, account, message, flags));
  return toMessageSummary(row);
}

/**
 * Moves a message to another folder of its account: on the server first (MOVE), then here the
 * row follows under its new UID, so the next sync of the target finds it stored and announces
 * nothing. Throws not_found (message or target), forbidden, conflict, bad_gateway.
 */
export async function moveMessage(deps: MailDeps, actor: Actor, messageId: string, targetFolderId: string) {
  const { message, folder, account } = await asActor(deps.db, actor, (tx) =>
    messageFor(tx, actor, messageId, 'email.write'),
  );
  const [target] = await asActor(deps.db, actor, (tx) =>
    tx
      .select()
      .from(emailFolders)
      .where(and(eq(emailFolders.id, targetFolderId), eq(emailFolders.accountId, account.id))),
  );
  if (!target) throw new DomainError('not_found', 'No such folder in this account.');
  if (target.id === folder.id) return toMessageSummary(message);
  return asActor(deps.db, actor, async (tx) =>
    toMessageSummary(await moveOnServer(deps, tx, actor, account, message, folder, target)),
  );
}

async function moveOnServer(
  deps: MailDeps,
  tx: Transaction,
  actor: Actor,
  account: AccountRow,
  message: MessageRow,
  folder: FolderRow,
  target: FolderRow,
) {
  const moved = await withAccountImap(deps, account, async (client) => {
    const lock = await selectFolder(client, folder, message);
    try {
      const result = await client.messageMove(String(message.uid), target.path, { uid: true });
      if (!result) throw new DomainError('conflict', 'The server did not move the message.');
      return { uid: result.uidMap?.get(message.uid), uidvalidity: result.uidValidity };
    } finally {
      lock.release();
    }
  });
  const targetValidity = moved.uidvalidity !== undefined ? Number(moved.uidvalidity) : target.uidvalidity;
  if (moved.uid === undefined || targetValidity === null) {
    // No COPYUID: the target's sync stores the message under its new UID (unannounced).
    await forgetMessage(tx, actor, account, folder, message);
    return message;
  }
  const uid = moved.uid;
  // The account's sync may have run meanwhile. The target's may have stored the message under its
  // new UID already: that row is the message then, and ours goes as when there is no COPYUID. The
  // source's may have seen the UID leave and removed ours, announcing its deletion: the target's
  // sync stores it. Either way the move is done, and answered as such rather than as a failure.
  const storedCopy = async () => {
    const [stored] = await tx
      .select()
      .from(emailMessages)
      .where(
        and(
          eq(emailMessages.accountId, account.id),
          eq(emailMessages.folderId, target.id),
          eq(emailMessages.uidvalidity, targetValidity),
          eq(emailMessages.uid, uid),
        ),
      );
    if (stored) await forgetMessage(tx, actor, account, folder, message);
    return stored;
  };
  const stored = await storedCopy();
  if (stored) return stored;
  let row: MessageRow | undefined;
  try {
    // In a savepoint: the target's sync may be storing the copy right now, unseen by the look-up
    // above; its commit then makes this update a duplicate of its row, and that row is the message.
    [row] = await tx.transaction((savepoint) =>
      savepoint
        .update(emailMessages)
        .set({ folderId: target.id, uid, uidvalidity: targetValidity, updatedAt: sql`now()` })
        .where(eq(emailMessages.id, message.id))
        .returning(),
    );
  } catch (error) {
    const storedMeanwhile = isUniqueViolation(error, 'email_messages_folder_uid_key') && (await storedCopy());
    if (!storedMeanwhile) throw error;
    return storedMeanwhile;
  }
  if (!row) return { ...message, folderId: target.id, uid, uidvalidity: targetValidity };
  await appendEvent(
    tx,
    outbox,
    emailEvents.messageUpdated,
    { ...owner(account), folderId: target.id, messageId: message.id, flags: row.flags },
    toEventActor(actor),
  );
  return row;
}

/**
 * Deletes a message: moved to the account's Trash, or, when it is in the Trash already (or the
 * account has none), expunged on the server and its row removed with `email.message.deleted`.
 * Throws not_found, forbidden, conflict, bad_gateway.
 */
export async function deleteMessage(deps: MailDeps, actor: Actor, messageId: string) {
  const { message, folder, account } = await asActor(deps.db, actor, (tx) =>
    messageFor(tx, actor, messageId, 'email.write'),
  );
  const [trash] = await asActor(deps.db, actor, (tx) =>
    tx
      .select()
      .from(emailFolders)
      .where(and(eq(emailFolders.accountId, account.id), eq(emailFolders.specialUse, 'trash'))),
  );
  if (trash && trash.id !== folder.id) {
    await asActor(deps.db, actor, (tx) => moveOnServer(deps, tx, actor, account, message, folder, trash));
    return;
  }
  await withAccountImap(deps, account, async (client) => {
    const lock = await selectFolder(client, folder, message);
    try {
      await client.messageDelete(String(message.uid), { uid: true });
    } finally {
      lock.release();
    }
  });
  await asActor(deps.db, actor, (tx) => forgetMessage(tx, actor, account, folder, message));
}

/** Removes a message's row, announcing `email.message.deleted` when it was still there. */
async function forgetMessage(
  tx: Transaction,
  actor: Actor,
  account: AccountRow,
  folder: FolderRow,
  message: MessageRow,
) {
  const removed = await tx
    .delete(emailMessages)
    .where(eq(emailMessages.id, message.id))
    .returning({ id: emailMessages.id });
  if (removed.length)
    await appendEvent(
      tx,
      outbox,
      emailEvents.messageDeleted,
      { ...owner(account), folderId: folder.id, messageId: message.id },
      toEventActor(actor),
    );
}
