import { readableText, storableText } from '@conduit/contracts';
import { z } from 'zod';
import { recipients, sendAtInput } from '../sending/message-input.js';

/** Values of a template's variables: names as templates write them, scalar values. */
export const templateValues = z
  .record(
    z.string().regex(/^[A-Za-z_][\w.-]{0,99}$/, 'a variable name'),
    z.union([storableText(100_000), z.number(), z.boolean(), z.null()]),
  )
  .refine((values) => Object.keys(values).length <= 200, 'at most 200 values');

const templateFields = {
  name: readableText(200),
  subject: storableText(998),
  html: storableText(2_000_000).nullable(),
  text: storableText(1_000_000).nullable(),
  /** Values used by the preview, and for variables a send does not give. */
  sampleValues: templateValues,
};

export const createTemplateInput = z
  .object({
    name: templateFields.name,
    subject: templateFields.subject,
    html: templateFields.html.optional(),
    text: templateFields.text.optional(),
    sampleValues: templateFields.sampleValues.default({}),
    teamId: z.uuid().optional(),
  })
  .strict()
  .refine((body) => body.html != null || body.text != null, {
    message: 'give an HTML or a text body (or both)',
    path: ['text'],
  });
export type CreateTemplateInput = z.output<typeof createTemplateInput>;

export const updateTemplateInput = z
  .object({
    name: templateFields.name.optional(),
    subject: templateFields.subject.optional(),
    html: templateFields.html.optional(),
    text: templateFields.text.optional(),
    sampleValues: templateFields.sampleValues.optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'give at least one field to change');
export type UpdateTemplateInput = z.output<typeof updateTemplateInput>;

export const previewTemplateInput = z.object({ values: templateValues.default({}) }).strict();

export const sendTemplateInput = z
  .object({
    accountId: z.uuid(),
    to: recipients.default([]),
    cc: recipients.default([]),
    bcc: recipients.default([]),
    values: templateValues.default({}),
    sendAt: sendAtInput,
    idempotencyKey: storableText(200).min(1).optional(),
  })
  .strict()
  .refine((body) => body.to.length + body.cc.length + body.bcc.length > 0, {
    message: 'name at least one recipient (to, cc or bcc)',
    path: ['to'],
  });
export type SendTemplateInput = z.output<typeof sendTemplateInput>;
