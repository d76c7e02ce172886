import { z } from 'zod';
import type { emailDrafts } from '../../db/schema.js';
import type { AttachmentInput } from '../sending/message-input.js';

export type DraftRow = typeof emailDrafts.$inferSelect;

/** A draft as its author reads it: attachments by name, type and size (never their content here). */
export const draftDto = z.object({
  id: z.uuid(),
  accountId: z.uuid(),
  teamId: z.uuid().nullable(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  bcc: z.array(z.string()),
  subject: z.string(),
  text: z.string(),
  html: z.string().nullable(),
  attachments: z.array(z.object({ filename: z.string(), contentType: z.string(), size: z.int() })),
  inReplyToMessageId: z.uuid().nullable(),
  inReplyTo: z.string().nullable(),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});

export const draftAttachments = (row: DraftRow) => row.attachments as AttachmentInput[];

export const toDraftDto = (row: DraftRow): z.input<typeof draftDto> => ({
  id: row.id,
  accountId: row.accountId,
  teamId: row.teamId,
  to: row.toAddresses,
  cc: row.ccAddresses,
  bcc: row.bccAddresses,
  subject: row.subject,
  text: row.body,
  html: row.htmlBody,
  attachments: draftAttachments(row).map((item) => ({
    filename: item.filename,
    contentType: item.contentType,
    size: Buffer.byteLength(item.contentBase64, 'base64'),
  })),
  inReplyToMessageId: row.inReplyToMessageId,
  inReplyTo: row.inReplyTo,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
