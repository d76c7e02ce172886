import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { eq, sql } from 'drizzle-orm';
import { userEmailAccounts } from '../../db/schema.js';
import type { MailDeps } from '../../deps.js';
import { syncJobId } from '../../jobs/catalog.js';
import { accountFor } from './account-access.js';
import { toAccountDto } from './account-dto.js';
import type { UpdateAccountInput } from './account-input.js';
import { accountServers, sealPassword } from './account-servers.js';
import { setAccountState } from './account-state.js';
import { checkBotMailbox } from './bot-mailbox.js';
import { verifyServers } from './verify-servers.js';

/**
 * Changes an account. New servers or credentials are tried first (as on creation) and clear an
 * `auth_error`; turning it off stops its sync (`disabled`), turning it on queues one. Throws
 * not_found, forbidden (no `email.write` on it) or unprocessable (a server refused); a named bot
 * is checked as `checkBotMailbox` says.
 */
export async function updateAccount(
  deps: MailDeps,
  actor: Actor,
  accountId: string,
  input: UpdateAccountInput,
) {
  const current = await asActor(deps.db, actor, (tx) => accountFor(tx, actor, accountId, 'email.write'));
  if (input.botId) await checkBotMailbox(deps, actor, input.botId, current);
  const reconnect =
    input.imap !== undefined ||
    input.smtp !== undefined ||
    input.username !== undefined ||
    input.password !== undefined;
  if (reconnect) {
    const servers = accountServers(deps.box, current);
    const username = input.username ?? current.username;
    const password = input.password ?? servers.imap.password;
    await verifyServers(deps, {
      imap: { ...servers.imap, ...input.imap, username, password },
      smtp: { ...servers.smtp, ...input.smtp, username, password },
    });
  }
  const row = await asActor(deps.db, actor, async (tx) => {
    const locked = await accountFor(tx, actor, accountId, 'email.write', { lock: true });
    const [changed] = await tx
      .update(userEmailAccounts)
      .set({
        ...(input.emailAddress !== undefined && { emailAddress: input.emailAddress }),
        ...(input.displayName !== undefined && { displayName: input.displayName }),
        ...(input.botId !== undefined && { botId: input.botId }),
        ...(input.imap && {
          imapServer: input.imap.host,
          imapPort: input.imap.port,
          imapSecurity: input.imap.security,
        }),
        ...(input.smtp && {
          smtpServer: input.smtp.host,
          smtpPort: input.smtp.port,
          smtpSecurity: input.smtp.security,
        }),
        ...(input.username !== undefined && { username: input.username }),
        ...(input.password !== undefined && {
          encryptedPassword: sealPassword(deps.box, accountId, input.password),
        }),
        ...(input.active !== undefined && { active: input.active }),
        ...(reconnect && { configVersion: sql`${userEmailAccounts.configVersion} + 1` }),
        updatedAt: sql`now()`,
      })
      .where(eq(userEmailAccounts.id, accountId))
      .returning();
    const active = changed!.active;
    if (!active) return setAccountState(tx, { ...changed!, syncState: locked.syncState }, 'disabled');
    if (reconnect || locked.syncState === 'disabled' || locked.syncState === 'auth_error')
      return setAccountState(tx, { ...changed!, syncState: locked.syncState }, 'connecting', {
        error: null,
        failures: 0,
        retryAfter: null,
      });
    return changed!;
  });
  if (row.active && row.syncState === 'connecting')
    await deps.jobs.add(
      'sync-account',
      { accountId },
      { jobId: syncJobId(accountId, `changed-${row.configVersion}-${Date.now()}`) },
    );
  return toAccountDto(row);
}
