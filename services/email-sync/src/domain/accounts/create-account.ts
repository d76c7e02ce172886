import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { userEmailAccounts } from '../../db/schema.js';
import type { MailDeps } from '../../deps.js';
import { syncJobId } from '../../jobs/catalog.js';
import { toAccountDto } from './account-dto.js';
import type { CreateAccountInput } from './account-input.js';
import { sealPassword } from './account-servers.js';
import { checkBotMailbox } from './bot-mailbox.js';
import { verifyServers } from './verify-servers.js';

/**
 * Connects a mailbox for the caller (or one of their teams): logs in to its IMAP and SMTP servers
 * first, stores it with its password sealed, and queues its first sync. Throws forbidden without
 * `email.write` there, not_found for a team they are not in, unprocessable when a server refuses
 * the credentials or cannot be reached or used; a named bot is checked as `checkBotMailbox` says.
 */
export async function createAccount(deps: MailDeps, actor: Actor, input: CreateAccountInput) {
  const { teamId } = input;
  if (teamId && !actor.platformAdmin && actor.teams[teamId] === undefined)
    throw new DomainError('not_found', 'No such team among yours.');
  if (!can(actor, 'email.write', teamId ? { teamId } : undefined))
    throw new DomainError('forbidden', 'Your role does not let you connect mail accounts here.');
  if (input.botId)
    await checkBotMailbox(deps, actor, input.botId, { userId: actor.userId, teamId: teamId ?? null });
  const username = input.username ?? input.emailAddress;
  const active = input.active ?? true;
  await verifyServers(deps, {
    imap: { ...input.imap, username, password: input.password },
    smtp: { ...input.smtp, username, password: input.password },
  });
  const id = uuidv7();
  const row = await asActor(deps.db, actor, async (tx) => {
    const [created] = await tx
      .insert(userEmailAccounts)
      .values({
        id,
        organizationId: actor.orgId,
        userId: actor.userId,
        teamId: teamId ?? null,
        botId: input.botId ?? null,
        emailAddress: input.emailAddress,
        displayName: input.displayName ?? null,
        imapServer: input.imap.host,
        imapPort: input.imap.port,
        imapSecurity: input.imap.security,
        smtpServer: input.smtp.host,
        smtpPort: input.smtp.port,
        smtpSecurity: input.smtp.security,
        username,
        encryptedPassword: sealPassword(deps.box, id, input.password),
        active,
        syncState: active ? 'connecting' : 'disabled',
      })
      .returning();
    return created!;
  });
  if (active)
    await deps.jobs.add('sync-account', { accountId: id }, { jobId: syncJobId(id, `created-${Date.now()}`) });
  return toAccountDto(row);
}
