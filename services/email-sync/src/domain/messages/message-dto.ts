import { z } from 'zod';
import type { emailMessages } from '../../db/schema.js';

const address = z.object({ name: z.string(), address: z.string() });
const attachment = z.object({
  part: z.string(),
  filename: z.string().nullable(),
  contentType: z.string(),
  size: z.int(),
  contentId: z.string().nullable(),
  inline: z.boolean(),
});

/** A message in a list: headers, flags and a snippet, no bodies. */
export const messageSummaryDto = z.object({
  id: z.uuid(),
  accountId: z.uuid(),
  folderId: z.uuid(),
  uid: z.int(),
  messageId: z.string().nullable(),
  threadId: z.string().nullable(),
  from: address.nullable(),
  to: z.array(address),
  cc: z.array(address),
  subject: z.string().nullable(),
  sentAt: z.string().nullable(),
  receivedAt: z.string(),
  flags: z.array(z.string()),
  seen: z.boolean(),
  flagged: z.boolean(),
  size: z.int(),
  snippet: z.string().nullable(),
  hasAttachments: z.boolean(),
});

/** One message whole: bodies (HTML also sanitized), attachments, threading headers. */
export const messageDto = messageSummaryDto.extend({
  bcc: z.array(address),
  replyTo: z.array(address),
  inReplyTo: z.string().nullable(),
  references: z.array(z.string()),
  text: z.string().nullable(),
  html: z.string().nullable(),
  /** The HTML without scripts, handlers, forms or remote content other than https images. */
  sanitizedHtml: z.string().nullable(),
  attachments: z.array(attachment),
  bodyTruncated: z.boolean(),
  parseError: z.string().nullable(),
});

export type MessageRow = typeof emailMessages.$inferSelect;

export const toMessageSummary = (
  row: Omit<MessageRow, 'textBody' | 'htmlBody' | 'search' | 'rawSource'>,
): z.output<typeof messageSummaryDto> => ({
  id: row.id,
  accountId: row.accountId,
  folderId: row.folderId,
  uid: row.uid,
  messageId: row.messageId,
  threadId: row.threadId,
  from: row.fromAddress,
  to: row.toAddresses,
  cc: row.ccAddresses,
  subject: row.subject,
  sentAt: row.sentAt?.toISOString() ?? null,
  receivedAt: row.receivedAt.toISOString(),
  flags: row.flags,
  seen: row.flags.includes('\\Seen'),
  flagged: row.flags.includes('\\Flagged'),
  size: row.size,
  snippet: row.snippet,
  hasAttachments: row.attachments.some((a) => !a.inline),
});
