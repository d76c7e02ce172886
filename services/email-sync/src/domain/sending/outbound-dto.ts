import { z } from 'zod';
import { type emailOutbound, outboundSources, outboundStatuses } from '../../db/schema.js';

export type OutboundRow = typeof emailOutbound.$inferSelect;

/** An outbound message as its sender sees it: where it stands, never its raw content. */
export const outboundDto = z.object({
  id: z.uuid(),
  accountId: z.uuid().nullable(),
  teamId: z.uuid().nullable(),
  source: z.enum(outboundSources),
  status: z.enum(outboundStatuses),
  messageId: z.string(),
  from: z.string(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  bcc: z.array(z.string()),
  subject: z.string(),
  inReplyTo: z.string().nullable(),
  sendAt: z.iso.datetime({ offset: true }),
  sentAt: z.iso.datetime({ offset: true }).nullable(),
  attempts: z.int(),
  lastError: z.string().nullable(),
  createdAt: z.iso.datetime({ offset: true }),
});

export const toOutboundDto = (row: OutboundRow): z.input<typeof outboundDto> => ({
  id: row.id,
  accountId: row.accountId,
  teamId: row.teamId,
  source: row.source,
  status: row.status,
  messageId: row.messageId,
  from: row.fromAddress,
  to: row.toAddresses,
  cc: row.ccAddresses,
  bcc: row.bccAddresses,
  subject: row.subject,
  inReplyTo: row.inReplyTo,
  sendAt: row.sendAt.toISOString(),
  sentAt: row.sentAt?.toISOString() ?? null,
  attempts: row.attempts,
  lastError: row.lastError,
  createdAt: row.createdAt.toISOString(),
});
