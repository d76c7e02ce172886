import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { isDeadlock } from '@conduit/db';
import { eq } from 'drizzle-orm';
import { userEmailAccounts } from '../../db/schema.js';
import type { MailDeps } from '../../deps.js';
import { accountFor } from './account-access.js';

/**
 * Disconnects a mailbox: the account goes with its folders, messages and drafts (the mail on the
 * server stays). A sync or IDLE still running for it stops at its next step, finding no account.
 * Throws not_found, or forbidden without `email.write` on it.
 */
export async function deleteAccount(deps: MailDeps, actor: Actor, accountId: string) {
  // The delete locks the account, then its folders and messages; a sync or IDLE step writes a
  // folder, then the account's state. Should the two meet, Postgres rolls one back whole: when it
  // is this one, it is tried again (the step it met has finished by then, or stops at its next one).
  for (let attempt = 1; ; attempt++) {
    try {
      await asActor(deps.db, actor, async (tx) => {
        await accountFor(tx, actor, accountId, 'email.write', { lock: true });
        await tx.delete(userEmailAccounts).where(eq(userEmailAccounts.id, accountId));
      });
      return;
    } catch (error) {
      if (attempt >= 3 || !isDeadlock(error)) throw error;
    }
  }
}
