import { conversationEvents } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { type BackgroundTask, consumeEvent } from '@conduit/runtime';
import { sql } from 'drizzle-orm';
import type { MailDeps } from '../deps.js';
import { writeOutbound } from '../domain/sending/queue-outbound.js';

/** How long the job waits for the event's transaction to commit; the sweep catches a later commit. */
const AFTER_COMMIT_MS = 2_000;

/**
 * A bot's SEND MAIL (conversation.mail.requested): sent from the account the bot is configured
 * with (as that account's owner), else through the platform's MAIL_URL (as the chat's user).
 * The event id is the idempotency key, and the outbound row commits with the record of the event.
 */
export const mailRequestedConsumer = consumeEvent<MailDeps, typeof conversationEvents.mailRequested>({
  event: conversationEvents.mailRequested,
  name: 'mail-requested',
  async apply(deps, tx, envelope) {
    const request = envelope.data;
    const [account] = await tx.execute<{
      account_id: string;
      user_id: string;
      organization_id: string | null;
      team_id: string | null;
      email_address: string;
      display_name: string | null;
    }>(
      sql`select b.account_id, b.user_id, b.organization_id, b.team_id from email.bot_account(${request.botId}) b`,
    );
    const owner = account
      ? { userId: account.user_id, orgId: account.organization_id, teamId: account.team_id }
      : { userId: request.userId, orgId: envelope.actor?.orgId ?? null, teamId: null };
    await actAs(tx, owner);
    const from = account ? await accountSender(tx, account.account_id) : systemSender(deps);
    const { row, created } = await writeOutbound(tx, {
      owner,
      accountId: account?.account_id ?? null,
      source: 'bot',
      from,
      to: request.to,
      cc: [],
      bcc: [],
      subject: request.subject,
      text: request.body,
      idempotencyKey: `conversation:${envelope.id}`,
    });
    if (created)
      await deps.jobs.add(
        'send-outbound',
        { outboundId: row.id },
        { jobId: `send-${row.id}`, delayMs: AFTER_COMMIT_MS },
      );
  },
});

/** The rest of this transaction runs as `owner` under row-level security. */
async function actAs(
  tx: Transaction,
  owner: { userId: string; orgId: string | null; teamId: string | null },
) {
  const teams = owner.teamId ?? '';
  await tx.execute(sql`select
    set_config('app.user_id', ${owner.userId}, true),
    set_config('app.org_id', ${owner.orgId ?? ''}, true),
    set_config('app.team_ids', ${teams}, true),
    set_config('app.writable_team_ids', ${teams}, true)`);
}

async function accountSender(tx: Transaction, accountId: string) {
  const [row] = await tx.execute<{ email_address: string; display_name: string | null }>(
    sql`select email_address, display_name from email.user_email_accounts where id = ${accountId}`,
  );
  return { name: row?.display_name ?? null, address: row?.email_address ?? 'bot@conduit.invalid' };
}

/** Platform mail comes from MAIL_FROM (`Name <address>` or an address). */
function systemSender(deps: MailDeps) {
  const named = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(deps.env.MAIL_FROM);
  return named
    ? { name: named[1] || null, address: named[2]! }
    : { name: null, address: deps.env.MAIL_FROM.trim() };
}

/**
 * Before the consumer starts: conversation's stream must exist for a durable consumer on it. When
 * this worker starts first (a fresh cluster, a test's own bus namespace) it creates the stream with
 * the one configuration every service's stream has, which conversation then finds in place.
 */
export const conversationStream: BackgroundTask<MailDeps> = {
  name: 'conversation stream',
  async start(deps) {
    await deps.bus.ensureStream('conversation');
    return { stop: async () => {} };
  },
};
