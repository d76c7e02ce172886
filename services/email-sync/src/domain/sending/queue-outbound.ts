import type { EventActor } from '@conduit/contracts';
import { type Transaction, uuidv7 } from '@conduit/db';
import { and, eq } from 'drizzle-orm';
import { emailOutbound, type outboundSources } from '../../db/schema.js';
import type { MailDeps } from '../../deps.js';
import { type Composition, composeMessage, newMessageId } from './compose-message.js';
import type { OutboundRow } from './outbound-dto.js';

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
): Promise<{ row: OutboundRow; created: boolean }> {
  if (request.idempotencyKey) {
    const [seen] = await tx
      .select()
      .from(emailOutbound)
      .where(
        and(
          eq(emailOutbound.userId, request.owner.userId),
          eq(emailOutbound.idempotencyKey, request.idempotencyKey),
        ),
      );
    if (seen) return { row: seen, created: false };
  }
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
