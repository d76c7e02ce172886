import { storableText } from '@conduit/contracts';
import { z } from 'zod';

/** Recipients of one kind (to, cc or bcc): plain addresses. */
export const recipients = z.array(z.email().max(320)).max(100);

/** At most this much attachment content per message, decoded (the gateway allows 12 MiB bodies). */
export const ATTACHMENTS_MAX_BYTES = 8 * 1024 * 1024;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** An attachment sent along with the message, its content in base64. */
export const attachmentInput = z
  .object({
    filename: storableText(255).min(1),
    contentType: z
      .string()
      .max(255)
      .regex(/^[\w.+-]+\/[\w.+-]+$/, 'a MIME type such as application/pdf')
      .default('application/octet-stream'),
    contentBase64: z
      .string()
      .max(Math.ceil((ATTACHMENTS_MAX_BYTES * 4) / 3) + 4)
      .regex(BASE64, 'base64'),
  })
  .strict();
export type AttachmentInput = z.output<typeof attachmentInput>;

export const attachmentsInput = z
  .array(attachmentInput)
  .max(20)
  .refine(
    (list) =>
      list.reduce((sum, item) => sum + Buffer.byteLength(item.contentBase64, 'base64'), 0) <=
      ATTACHMENTS_MAX_BYTES,
    `attachments may hold at most ${ATTACHMENTS_MAX_BYTES / 1024 / 1024} MiB together`,
  );

/** When to send: now when absent, else at this time (in the past means now). */
export const sendAtInput = z.iso.datetime({ offset: true }).optional();

/** What a message says, as the API takes it (a draft, a direct send). */
export const messageContent = {
  to: recipients.default([]),
  cc: recipients.default([]),
  bcc: recipients.default([]),
  subject: storableText(998).default(''),
  text: storableText(1_000_000).default(''),
  html: storableText(2_000_000).optional(),
  attachments: attachmentsInput.default([]),
  /** A reply: the stored message (email_messages id) it answers. */
  inReplyToMessageId: z.uuid().optional(),
};

export const sendMessageInput = z
  .object({
    accountId: z.uuid(),
    ...messageContent,
    sendAt: sendAtInput,
    /** The same key twice sends once (the first request's message is answered). */
    idempotencyKey: storableText(200).min(1).optional(),
  })
  .strict()
  .refine((body) => body.to.length + body.cc.length + body.bcc.length > 0, {
    message: 'name at least one recipient (to, cc or bcc)',
    path: ['to'],
  });
export type SendMessageInput = z.output<typeof sendMessageInput>;
