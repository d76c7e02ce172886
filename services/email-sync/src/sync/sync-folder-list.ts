import { appendEvent } from '@conduit/bus';
import { emailEvents } from '@conduit/contracts';
import { type ActorContext, uuidv7, withActor } from '@conduit/db';
import { and, eq, inArray } from 'drizzle-orm';
import type { ImapFlow, ListResponse } from 'imapflow';
import { emailFolders, emailMessages, outbox, type SpecialUse, specialUses } from '../db/schema.js';
import type { MailDeps } from '../deps.js';
import type { AccountRow } from '../domain/accounts/account-dto.js';
import { ownerActor } from '../domain/accounts/account-state.js';
import type { FolderRow } from './folder-row.js';
import { storable } from './parse-message.js';

const specialUseOf = (folder: ListResponse): SpecialUse | null => {
  const use = folder.specialUse?.replace(/^\\/, '').toLowerCase();
  if (folder.path.toUpperCase() === 'INBOX') return 'inbox';
  return use && (specialUses as readonly string[]).includes(use) ? (use as SpecialUse) : null;
};

/**
 * Brings the account's folder rows in line with the server's LIST: new folders are added, a
 * folder whose path is gone while one with its UIDVALIDITY appeared was renamed (its messages
 * stay), and folders gone from the server are dropped with their messages (each announced as
 * deleted). Answers the folders
 * to sync, the Inbox first.
 */
export async function syncFolderList(
  deps: MailDeps,
  client: ImapFlow,
  ctx: ActorContext,
  account: AccountRow,
): Promise<FolderRow[]> {
  const accountId = account.id;
  const listed = (await client.list({ statusQuery: { uidValidity: true } })).filter(
    (folder) => !folder.flags.has('\\Noselect') && !folder.flags.has('\\NonExistent'),
  );
  return withActor(deps.db, ctx, async (tx) => {
    const stored = await tx.select().from(emailFolders).where(eq(emailFolders.accountId, accountId));
    const byPath = new Map(stored.map((folder) => [folder.path, folder]));
    const listedPaths = new Set(listed.map((folder) => folder.path));
    const vanished = stored.filter((folder) => !listedPaths.has(folder.path));
    const kept = new Map<string, FolderRow>();
    for (const folder of listed) {
      const fields = {
        name: storable(folder.name, 500) ?? folder.path,
        delimiter: folder.delimiter ?? null,
        specialUse: specialUseOf(folder),
      };
      const existing = byPath.get(folder.path);
      if (existing) {
        const [updated] = await tx
          .update(emailFolders)
          .set(fields)
          .where(eq(emailFolders.id, existing.id))
          .returning();
        kept.set(folder.path, updated!);
        continue;
      }
      const uidvalidity = folder.status?.uidValidity !== undefined ? Number(folder.status.uidValidity) : null;
      const renamed = vanished.find((old) => uidvalidity !== null && old.uidvalidity === uidvalidity);
      if (renamed) {
        vanished.splice(vanished.indexOf(renamed), 1);
        const [moved] = await tx
          .update(emailFolders)
          .set({ ...fields, path: folder.path })
          .where(eq(emailFolders.id, renamed.id))
          .returning();
        kept.set(folder.path, moved!);
        continue;
      }
      const [created] = await tx
        .insert(emailFolders)
        .values({ id: uuidv7(), accountId, path: folder.path, ...fields })
        .returning();
      kept.set(folder.path, created!);
    }
    if (vanished.length) {
      const gone = vanished.map((folder) => folder.id);
      // Its messages left with it: each is announced as deleted, as an expunge would be.
      const messages = await tx
        .select({ id: emailMessages.id, folderId: emailMessages.folderId })
        .from(emailMessages)
        .where(and(eq(emailMessages.accountId, account.id), inArray(emailMessages.folderId, gone)));
      for (const message of messages)
        await appendEvent(
          tx,
          outbox,
          emailEvents.messageDeleted,
          {
            accountId: account.id,
            ownerUserId: account.userId,
            teamId: account.teamId,
            folderId: message.folderId,
            messageId: message.id,
          },
          ownerActor(account),
        );
      await tx
        .delete(emailFolders)
        .where(and(eq(emailFolders.accountId, account.id), inArray(emailFolders.id, gone)));
    }
    // Parents by path, once every folder has its row.
    for (const folder of listed) {
      const row = kept.get(folder.path)!;
      const parentId = folder.parentPath ? (kept.get(folder.parentPath)?.id ?? null) : null;
      if (row.parentId !== parentId) {
        await tx.update(emailFolders).set({ parentId }).where(eq(emailFolders.id, row.id));
        row.parentId = parentId;
      }
    }
    return [...kept.values()].sort(
      (a, b) =>
        Number(b.specialUse === 'inbox') - Number(a.specialUse === 'inbox') || a.path.localeCompare(b.path),
    );
  });
}
