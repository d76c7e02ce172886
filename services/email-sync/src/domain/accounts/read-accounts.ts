import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest } from '@conduit/db';
import { and } from 'drizzle-orm';
import { userEmailAccounts } from '../../db/schema.js';
import type { MailDeps } from '../../deps.js';
import { accountFor, accountRef } from './account-access.js';
import { toAccountDto } from './account-dto.js';

/** The mail accounts the caller may read (theirs and their teams'), oldest first; never passwords. */
export async function listAccounts(deps: MailDeps, actor: Actor, page: PageRequest) {
  if (!can(actor, 'email.read')) return { items: [], nextCursor: null };
  const keyset = keysetPage({ by: [userEmailAccounts.id], order: 'asc' }, page);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ row: userEmailAccounts, pageKey: keyset.key })
      .from(userEmailAccounts)
      .where(and(keyset.after))
      .orderBy(...keyset.orderBy)
      .limit(keyset.limit);
    // Row-level security already narrows to the caller's; a team account also needs email.read there.
    return keyset.of(rows, ({ row }) =>
      can(actor, 'email.read', accountRef(row)) ? toAccountDto(row) : null,
    );
  }).then((page) => ({ items: page.items.filter((item) => item !== null), nextCursor: page.nextCursor }));
}

/** One account with its sync state. Throws not_found for one the caller may not read. */
export async function getAccount(deps: MailDeps, actor: Actor, accountId: string) {
  return asActor(deps.db, actor, async (tx) =>
    toAccountDto(await accountFor(tx, actor, accountId, 'email.read')),
  );
}
