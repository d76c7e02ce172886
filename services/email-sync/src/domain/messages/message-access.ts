import type { Actor, Permission } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { emailFolders, emailMessages } from '../../db/schema.js';
import { accountFor } from '../accounts/account-access.js';

/**
 * A message with its folder and account, when the actor may use `permission` on its account.
 * Throws not_found for one they may not see, forbidden for one they see but may not change.
 */
export async function messageFor(tx: Transaction, actor: Actor, messageId: string, permission: Permission) {
  const [found] = await tx
    .select({ message: emailMessages, folder: emailFolders })
    .from(emailMessages)
    .innerJoin(emailFolders, eq(emailFolders.id, emailMessages.folderId))
    .where(eq(emailMessages.id, messageId));
  if (!found) throw new DomainError('not_found', 'No such message among yours.');
  const account = await accountFor(tx, actor, found.message.accountId, permission).catch((error: unknown) => {
    if (error instanceof DomainError && error.code === 'not_found')
      throw new DomainError('not_found', 'No such message among yours.');
    throw error;
  });
  return { ...found, account };
}

/** A folder of an account the actor may use `permission` on; not_found otherwise. */
export async function folderFor(tx: Transaction, actor: Actor, folderId: string, permission: Permission) {
  const [folder] = await tx.select().from(emailFolders).where(eq(emailFolders.id, folderId));
  if (!folder) throw new DomainError('not_found', 'No such folder among yours.');
  const account = await accountFor(tx, actor, folder.accountId, permission).catch((error: unknown) => {
    if (error instanceof DomainError && error.code === 'not_found')
      throw new DomainError('not_found', 'No such folder among yours.');
    throw error;
  });
  return { folder, account };
}
