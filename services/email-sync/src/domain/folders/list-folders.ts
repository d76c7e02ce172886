import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest } from '@conduit/db';
import { and, eq } from 'drizzle-orm';
import { emailFolders } from '../../db/schema.js';
import type { MailDeps } from '../../deps.js';
import { accountFor } from '../accounts/account-access.js';
import { toFolderDto } from './folder-dto.js';

/** An account's folders by path, with counts and first-sync progress. Throws not_found for an account the caller may not read. */
export async function listFolders(deps: MailDeps, actor: Actor, accountId: string, page: PageRequest) {
  const keyset = keysetPage({ by: [emailFolders.path, emailFolders.id], order: 'asc' }, page);
  return asActor(deps.db, actor, async (tx) => {
    await accountFor(tx, actor, accountId, 'email.read');
    const rows = await tx
      .select({ row: emailFolders, pageKey: keyset.key })
      .from(emailFolders)
      .where(and(eq(emailFolders.accountId, accountId), keyset.after))
      .orderBy(...keyset.orderBy)
      .limit(keyset.limit);
    return keyset.of(rows, ({ row }) => toFolderDto(row));
  });
}
