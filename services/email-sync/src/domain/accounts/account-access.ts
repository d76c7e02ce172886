import { can } from '@conduit/auth';
import type { Actor, Permission } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { userEmailAccounts } from '../../db/schema.js';
import type { AccountRow } from './account-dto.js';

export const accountRef = (row: Pick<AccountRow, 'userId' | 'teamId' | 'organizationId'>) => ({
  ownerUserId: row.userId,
  teamId: row.teamId,
});

/**
 * The account, when the actor may use `permission` on it (read under row-level security).
 * Throws not_found when they may not see it at all, forbidden when they see it but may not do
 * this (a team viewer changing it). `lock` takes the row for a change.
 */
export async function accountFor(
  tx: Transaction,
  actor: Actor,
  accountId: string,
  permission: Permission,
  options: { lock?: boolean } = {},
): Promise<AccountRow> {
  const query = () => tx.select().from(userEmailAccounts).where(eq(userEmailAccounts.id, accountId));
  const [row] = await query();
  if (!row || !can(actor, 'email.read', accountRef(row)))
    throw new DomainError('not_found', 'No such mail account among yours.');
  if (!can(actor, permission, accountRef(row)))
    throw new DomainError('forbidden', 'Your role does not let you do this with this mail account.');
  // Locked only once allowed: FOR UPDATE sees only rows the caller may change (row-level security).
  if (!options.lock) return row;
  const [locked] = await query().for('update');
  if (!locked)
    throw new DomainError('forbidden', 'Your role does not let you do this with this mail account.');
  return locked;
}
