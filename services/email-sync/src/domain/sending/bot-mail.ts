import type { BotMailAttachments } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { sql } from 'drizzle-orm';
import type { MailDeps } from '../../deps.js';
import { actAsOwner, type Owner } from './act-as-owner.js';
import { readBotMailAttachments } from './bot-mail-attachments.js';
import { queueSendAfterCommit } from './queue-after-commit.js';
import { type OutboundRequest, recordRefusedOutbound, writePaidOutbound } from './queue-outbound.js';
import { releasingOnFailure } from './sending-usage.js';
import { systemSender } from './system-sender.js';

export interface BotMailRequest {
  botId: string;
  /** Who the mail is sent as when the bot has no account (the chat's user, the automation's owner). */
  fallbackOwner: Owner;
  to: string[];
  subject: string;
  body: string;
  /** Bot files to attach, read from the workspace as the bot's owner the event names. */
  attachments?: BotMailAttachments | undefined;
  /** Names the request for good (`<producer>:<event id>`): a second request with it sends nothing. */
  idempotencyKey: string;
}

/**
 * A bot's SEND MAIL, from a chat (conversation) or an automation (workflow engine): sent from the
 * active account the bot is configured with, as that account's owner, else through the platform's
 * MAIL_URL as `fallbackOwner`. Runs in the transaction that records the event as processed, so the
 * outbound row and that record commit together. Paid from the sender's emails_sent (its team, else
 * itself); mail that does not fit is recorded as a failed outbound row with the reason (and
 * `email.message.failed`), so the event is applied and not delivered again. Attachments are read
 * from the bot's files and composed into the stored message (a retry sends the same bytes); a file
 * that is not there or over the limit fails the mail the same way, with the reason, charging
 * nothing. Throws (for the event to be tried again) when the workspace does not answer.
 */
export async function queueBotMail(deps: MailDeps, tx: Transaction, request: BotMailRequest) {
  const [account] = await tx.execute<{
    account_id: string;
    user_id: string;
    organization_id: string | null;
    team_id: string | null;
  }>(
    sql`select b.account_id, b.user_id, b.organization_id, b.team_id from email.bot_account(${request.botId}) b`,
  );
  const owner = account
    ? { userId: account.user_id, orgId: account.organization_id, teamId: account.team_id }
    : request.fallbackOwner;
  await actAsOwner(tx, owner);
  const from = account ? await accountSender(tx, account.account_id) : systemSender(deps.env.MAIL_FROM);
  const outbound: OutboundRequest = {
    owner,
    accountId: account?.account_id ?? null,
    source: 'bot',
    from,
    to: request.to,
    cc: [],
    bcc: [],
    subject: request.subject,
    text: request.body,
    idempotencyKey: request.idempotencyKey,
  };
  if (request.attachments) {
    const read = await readBotMailAttachments(deps, request.botId, request.attachments);
    if (!read.ok) {
      await recordRefusedOutbound(tx, outbound, read.reason);
      return;
    }
    outbound.attachments = read.attachments;
  }
  await releasingOnFailure(deps, async (charges) => {
    const { row, created } = await writePaidOutbound(deps, tx, outbound, {
      charges,
      refusal: 'record',
    });
    if (created) await queueSendAfterCommit(deps, row.id);
  });
}

async function accountSender(tx: Transaction, accountId: string) {
  const [row] = await tx.execute<{ email_address: string; display_name: string | null }>(
    sql`select email_address, display_name from email.user_email_accounts where id = ${accountId}`,
  );
  return { name: row?.display_name ?? null, address: row?.email_address ?? 'bot@conduit.invalid' };
}
