import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import type { MailDeps } from '../../deps.js';
import { accountFor } from '../accounts/account-access.js';
import type { AccountRow } from '../accounts/account-dto.js';
import type { Composition } from './compose-message.js';
import type { SendMessageInput } from './message-input.js';
import { toOutboundDto } from './outbound-dto.js';
import { type OutboundRequest, queueSend, writePaidOutbound } from './queue-outbound.js';
import { replyHeaders } from './reply-headers.js';
import { releasingOnFailure } from './sending-usage.js';

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
 * then sent by the worker at `sendAt` or now, once one emails_sent per recipient is reserved
 * (when the plan limits it). Throws not_found for an account or replied-to message the caller
 * cannot see, forbidden without `email.send` on the account, limit_reached (402) when the plan's
 * mail is used up, unavailable when identity cannot say.
 */
export async function sendMessage(deps: MailDeps, actor: Actor, input: SendMessageInput) {
  const { row, created } = await releasingOnFailure(deps, (charges) =>
    asActor(deps.db, actor, async (tx) => {
      const account = await sendingAccount(tx, actor, input.accountId);
      const reply = await replyHeaders(tx, account.id, input.inReplyToMessageId);
      const request: OutboundRequest = {
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
      };
      return writePaidOutbound(deps, tx, request, { charges, refusal: 'throw' });
    }),
  );
  if (created) await queueSend(deps, row);
  return toOutboundDto(row);
}
