import { asActor } from '@conduit/auth';
import { mailRecipients } from '@conduit/basic';
import { appendEvent } from '@conduit/bus';
import {
  type Actor,
  type BotMailAttachments,
  conversationEvents,
  type EventActor,
  toEventActor,
} from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { outbox } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';

/** What SEND MAIL asks for: `attachments` names bot files (see mailAttachments), never bytes. */
export interface MailToRequest {
  to: string;
  subject: string;
  body: string;
  attachments?: BotMailAttachments | undefined;
}

/**
 * A script's SEND MAIL: records conversation.mail.requested in this service's outbox, in a
 * transaction of its own as the chat's user, for the email service to send (from the bot's account,
 * else the platform's MAIL_URL). It returns once the request is committed, not once the mail is
 * sent: as in General Bots, a script does not wait for SMTP, and a mail server that is slow or down
 * is the email service's to retry. A recipient list, subject or body the event cannot carry is the
 * script's error (thrown with a message for its author); nothing is recorded then.
 */
export function requestMail(
  deps: ConversationDeps,
  actor: Actor,
  chat: { sessionId: string; botId: string; userId: string },
  mail: MailToRequest,
): Promise<void> {
  return requestMailAs((work) => asActor(deps.db, actor, work), toEventActor(actor), chat, mail);
}

/**
 * SEND MAIL for any script of the bot: `inTx` runs the outbox write as whom the script acts for
 * (a chat's user; a handler's bot owner, with no session), `by` is who the event names.
 */
export async function requestMailAs(
  inTx: (work: (tx: Transaction) => Promise<unknown>) => Promise<unknown>,
  by: EventActor,
  chat: { sessionId: string | null; botId: string; userId: string },
  mail: MailToRequest,
): Promise<void> {
  const checked = conversationEvents.mailRequested.data.safeParse({
    ...chat,
    to: mailRecipients(mail.to),
    subject: mail.subject,
    body: mail.body,
    ...(mail.attachments && { attachments: mail.attachments }),
  });
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const field = issue?.path[0] ?? 'mail';
    throw new Error(`SEND MAIL: ${String(field)} is not valid (${issue?.message ?? 'invalid'})`);
  }
  await inTx((tx) => appendEvent(tx, outbox, conversationEvents.mailRequested, checked.data, by));
}
