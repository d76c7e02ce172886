import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest } from '@conduit/db';
import { and, eq, sql } from 'drizzle-orm';
import { emailFolders } from '../../db/schema.js';
import type { MailDeps } from '../../deps.js';
import { accountFor } from '../accounts/account-access.js';
import { toFolderDto } from './folder-dto.js';

/** Per folder, its messages not indexed yet (email_messages_unindexed_idx holds only those). */
// The outer columns are named in full: drizzle names a select's own columns bare, which inside
// the subquery would mean the message's.
const unindexedCount = sql<number>`(select count(*)::int from email.email_messages m
  where m.account_id = "email_folders"."account_id" and m.folder_id = "email_folders"."id"
    and m.indexed_at is null)`;

/** An account's folders by path, with counts and first-sync and indexing progress. Throws not_found for an account the caller may not read. */
export async function listFolders(deps: MailDeps, actor: Actor, accountId: string, page: PageRequest) {
  const keyset = keysetPage({ by: [emailFolders.path, emailFolders.id], order: 'asc' }, page);
  return asActor(deps.db, actor, async (tx) => {
    await accountFor(tx, actor, accountId, 'email.read');
    const rows = await tx
      .select({ row: emailFolders, unindexed: unindexedCount, pageKey: keyset.key })
      .from(emailFolders)
      .where(and(eq(emailFolders.accountId, accountId), keyset.after))
      .orderBy(...keyset.orderBy)
      .limit(keyset.limit);
    return keyset.of(rows, ({ row, unindexed }) => toFolderDto(row, unindexed));
  });
}
