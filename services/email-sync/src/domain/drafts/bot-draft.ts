import { type Database, uuidv7, withoutActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, sql } from 'drizzle-orm';
import { emailDrafts } from '../../db/schema.js';
import { actAsOwner } from '../sending/act-as-owner.js';

/**
 * A bot script's CREATE DRAFT: a draft in the active account the bot is configured with, written
 * as that account's owner (and its team's, for a team account), where they find it among their
 * drafts to finish and send. Throws not_found when no account names the bot: a draft needs a
 * mailbox, and unlike SEND MAIL there is no platform sender to fall back on. With an
 * idempotency key already used on that account, answers the draft it made (no second draft).
 */
export function createBotDraft(
  db: Database,
  request: { botId: string; to: string[]; subject: string; body: string; idempotencyKey?: string },
) {
  return withoutActor(db, async (tx) => {
    const [account] = await tx.execute<{
      account_id: string;
      user_id: string;
      organization_id: string | null;
      team_id: string | null;
    }>(
      sql`select b.account_id, b.user_id, b.organization_id, b.team_id from email.bot_account(${request.botId}) b`,
    );
    if (!account)
      throw new DomainError(
        'not_found',
        'this bot has no mail account: its owner names the bot on one of their accounts (botId in /v1/email/accounts)',
      );
    await actAsOwner(tx, {
      userId: account.user_id,
      orgId: account.organization_id,
      teamId: account.team_id,
    });
    // A retried caller (a bot automation's run) gets the draft its first attempt made; a second
    // attempt at once waits for the first's transaction here, then finds it.
    if (request.idempotencyKey) {
      await tx.execute(
        sql`select pg_advisory_xact_lock(hashtextextended(${`email.bot_draft:${account.account_id}:${request.idempotencyKey}`}, 0))`,
      );
      const [earlier] = await tx
        .select({ id: emailDrafts.id })
        .from(emailDrafts)
        .where(
          and(
            eq(emailDrafts.accountId, account.account_id),
            eq(emailDrafts.idempotencyKey, request.idempotencyKey),
          ),
        );
      if (earlier) return { draftId: earlier.id, accountId: account.account_id };
    }
    const id = uuidv7();
    await tx.insert(emailDrafts).values({
      idempotencyKey: request.idempotencyKey ?? null,
      id,
      organizationId: account.organization_id,
      userId: account.user_id,
      teamId: account.team_id,
      accountId: account.account_id,
      toAddresses: request.to,
      subject: request.subject,
      body: request.body,
    });
    return { draftId: id, accountId: account.account_id };
  });
}
