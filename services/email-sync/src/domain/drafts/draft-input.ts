import { z } from 'zod';
import { messageContent, sendAtInput } from '../sending/message-input.js';

export const createDraftInput = z.object({ accountId: z.uuid(), ...messageContent }).strict();
export type CreateDraftInput = z.output<typeof createDraftInput>;

/** Any field of a draft; the ones given replace the draft's (recipients and attachments whole). */
export const updateDraftInput = z
  .object({
    to: messageContent.to.removeDefault().optional(),
    cc: messageContent.cc.removeDefault().optional(),
    bcc: messageContent.bcc.removeDefault().optional(),
    subject: messageContent.subject.removeDefault().optional(),
    text: messageContent.text.removeDefault().optional(),
    html: messageContent.html.nullable(),
    attachments: messageContent.attachments.removeDefault().optional(),
    inReplyToMessageId: z.uuid().nullable().optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'give at least one field to change');
export type UpdateDraftInput = z.output<typeof updateDraftInput>;

export const sendDraftInput = z.object({ sendAt: sendAtInput }).strict();
export type SendDraftInput = z.output<typeof sendDraftInput>;

export const draftListQuery = z.object({ accountId: z.uuid().optional() });
