import { appendEvent } from '@conduit/bus';
import { type EventActor, emailEvents } from '@conduit/contracts';
import { type Transaction, uuidv7 } from '@conduit/db';
import { and, eq } from 'drizzle-orm';
import { emailOutbound, type outboundSources, outbox } from '../../db/schema.js';
import type { MailDeps } from '../../deps.js';
import { type Composition, composeMessage, newMessageId } from './compose-message.js';
import type { OutboundRow } from './outbound-dto.js';
import { outboundEventData } from './outbound-event-data.js';
import {
  limitReached,
  mailPayerOf,
  refusalReason,
  releaseSending,
  reserveSending,
  type SendingCharge,
} from './sending-usage.js';

export interface OutboundRequest extends Composition {
  owner: { userId: string; orgId: string | null; teamId: string | null };
  accountId: string | null;
  source: (typeof outboundSources)[number];
  draftId?: string | null;
  templateId?: string | null;
  idempotencyKey?: string | null;
  sendAt?: Date;
}

/**
 * Writes a message to send into `email_outbound` in the caller's transaction, composed once with
 * its Message-ID: the send job reads it from there, so the request and the send commit together
 * and every retry sends the same bytes. A request whose idempotency key was seen answers the first
 * one's row (`created` false). The job is queued by `queueSend` once the transaction has committed.
 */
export async function writeOutbound(
  tx: Transaction,
  request: OutboundRequest,
  settled: { charge?: SendingCharge | null; refused?: string } = {},
): Promise<{ row: OutboundRow; created: boolean }> {
  const seen = await outboundByKey(tx, request);
  if (seen) return { row: seen, created: false };
  const { charge, refused } = settled;
  const messageId = newMessageId(request.from.address);
  const raw = await composeMessage(request, messageId);
  const [row] = await tx
    .insert(emailOutbound)
    .values({
      id: uuidv7(),
      organizationId: request.owner.orgId,
      userId: request.owner.userId,
      teamId: request.owner.teamId,
      accountId: request.accountId,
      draftId: request.draftId ?? null,
      templateId: request.templateId ?? null,
      source: request.source,
      idempotencyKey: request.idempotencyKey ?? null,
      messageId,
      fromAddress: request.from.address,
      toAddresses: request.to,
      ccAddresses: request.cc,
      bccAddresses: request.bcc,
      subject: request.subject,
      inReplyTo: request.inReplyTo ?? null,
      references: request.references ?? [],
      raw,
      sendAt: request.sendAt ?? new Date(),
      ...(refused ? { status: 'failed' as const, lastError: refused } : {}),
      ...(charge
        ? {
            usageSubjectType: charge.subject.type,
            usageSubjectId: charge.subject.id,
            usageAmount: charge.amount,
            usagePeriodEnd: charge.periodEnd,
          }
        : {}),
    })
    .onConflictDoNothing()
    .returning();
  if (row) return { row, created: true };
  // A concurrent request with the same idempotency key won the insert.
  const [first] = await tx
    .select()
    .from(emailOutbound)
    .where(
      and(
        eq(emailOutbound.userId, request.owner.userId),
        eq(emailOutbound.idempotencyKey, request.idempotencyKey ?? ''),
      ),
    );
  return { row: first!, created: false };
}

/** The row a request with this idempotency key already made, if any. */
async function outboundByKey(tx: Transaction, request: Pick<OutboundRequest, 'owner' | 'idempotencyKey'>) {
  if (!request.idempotencyKey) return undefined;
  const [seen] = await tx
    .select()
    .from(emailOutbound)
    .where(
      and(
        eq(emailOutbound.userId, request.owner.userId),
        eq(emailOutbound.idempotencyKey, request.idempotencyKey),
      ),
    );
  return seen;
}

/**
 * `writeOutbound` for mail a user causes, paid for first: one emails_sent per recipient reserved
 * of the owner's team, else the owner (see sending-usage), before the row is written; a plan that
 * does not limit sending reserves nothing. A request whose idempotency key was seen reserves
 * nothing and answers the first row. When the mail does not fit, `refusal` decides: `throw`
 * limit_reached (402, an HTTP request: nothing is recorded), or `record` the request as a failed
 * row with the reason and its `email.message.failed` (an event consumer: the request is applied,
 * not retried), answered with `created` false so nothing is queued. Each charge is added to
 * `charges`, for the caller to give back if its transaction does not commit (releasingOnFailure).
 * Throws unavailable when identity cannot answer.
 */
export async function writePaidOutbound(
  deps: Pick<MailDeps, 'bus' | 'env' | 'log'>,
  tx: Transaction,
  request: OutboundRequest,
  options: { charges: SendingCharge[]; refusal: 'throw' | 'record' },
): Promise<{ row: OutboundRow; created: boolean }> {
  const seen = await outboundByKey(tx, request);
  if (seen) return { row: seen, created: false };
  const reservation = await reserveSending(
    deps,
    mailPayerOf(request.owner),
    request.to.length + request.cc.length + request.bcc.length,
  );
  if ('refused' in reservation) {
    if (options.refusal === 'throw') throw limitReached(reservation.refused);
    return recordRefusedOutbound(tx, request, refusalReason(reservation.refused));
  }
  const { charge } = reservation;
  if (charge) options.charges.push(charge);
  const written = await writeOutbound(tx, request, { charge });
  if (!written.created && charge) {
    // A concurrent request with the same key won: its row is the one paid for.
    options.charges.splice(options.charges.indexOf(charge), 1);
    await releaseSending(deps, charge);
  }
  return written;
}

/**
 * A request that cannot be sent (`reason`: its plan's limit, an attachment that is not there),
 * recorded as a failed outbound row with its `email.message.failed`, so the event that asked is
 * applied and not retried; `created` is false, so nothing is queued. Charges nothing.
 */
export async function recordRefusedOutbound(
  tx: Transaction,
  request: OutboundRequest,
  reason: string,
): Promise<{ row: OutboundRow; created: false }> {
  const { row, created } = await writeOutbound(tx, request, { refused: reason });
  if (created)
    await appendEvent(
      tx,
      outbox,
      emailEvents.messageFailed,
      { ...outboundEventData(row, request.owner), attempts: 0, error: row.lastError ?? '' },
      eventActorOf(request.owner),
    );
  return { row, created: false };
}

/** The send job of an outbound message: one per message (its id), held until `send_at`. */
export async function queueSend(deps: Pick<MailDeps, 'jobs'>, row: Pick<OutboundRow, 'id' | 'sendAt'>) {
  await deps.jobs.add(
    'send-outbound',
    { outboundId: row.id },
    { jobId: sendJobId(row.id), delayMs: Math.max(0, row.sendAt.getTime() - Date.now()) },
  );
}

export const sendJobId = (outboundId: string) => `send-${outboundId}`;

export const eventActorOf = (owner: { userId: string; orgId: string | null }): EventActor => ({
  userId: owner.userId,
  sessionId: null,
  orgId: owner.orgId,
});
