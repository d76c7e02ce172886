import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import type { MailDeps } from '../../deps.js';
import { accountFor } from '../accounts/account-access.js';
import type { AccountRow } from '../accounts/account-dto.js';
import type { Composition } from './compose-message.js';
import type { SendMessageInput } from './message-input.js';
import { toOutboundDto } from './outbound-dto.js';
import { type OutboundRequest, queueSend, writeOutbound } from './queue-outbound.js';
import { replyHeaders } from './reply-headers.js';

/** The account an actor sends from, checked for `email.send`; throws as `accountFor` does. */
export const sendingAccount = (tx: Transaction, actor: Actor, accountId: string) =>
  accountFor(tx, actor, accountId, 'email.send');

/** Who an outbound message from this account belongs to: its author, in the account's team. */
export const outboundOwner = (actor: Actor, account: AccountRow): OutboundRequest['owner'] => ({
  userId: actor.userId,
  orgId: actor.orgId,
  teamId: account.teamId,
});

export const fromAccount = (account: AccountRow): Composition['from'] => ({
  name: account.displayName,
  address: account.emailAddress,
});

/**
 * Sends a message from one of the caller's accounts (or their team's): written to the outbound
 * table with its Message-ID (and, for a reply, In-Reply-To and References) in one transaction,
 * then sent by the worker at `sendAt` or now. Throws not_found for an account or replied-to
 * message the caller cannot see, forbidden without `email.send` on the account.
 */
export async function sendMessage(deps: MailDeps, actor: Actor, input: SendMessageInput) {
  const { row, created } = await asActor(deps.db, actor, async (tx) => {
    const account = await sendingAccount(tx, actor, input.accountId);
    const reply = await replyHeaders(tx, account.id, input.inReplyToMessageId);
    return writeOutbound(tx, {
      owner: outboundOwner(actor, account),
      accountId: account.id,
      source: 'api',
      from: fromAccount(account),
      to: input.to,
      cc: input.cc,
      bcc: input.bcc,
      subject: input.subject,
      text: input.text,
      html: input.html ?? null,
      attachments: input.attachments,
      ...reply,
      idempotencyKey: input.idempotencyKey ?? null,
      ...(input.sendAt ? { sendAt: new Date(input.sendAt) } : {}),
    });
  });
  if (created) await queueSend(deps, row);
  return toOutboundDto(row);
}
