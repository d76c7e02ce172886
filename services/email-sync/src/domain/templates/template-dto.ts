import { z } from 'zod';
import type { emailTemplates } from '../../db/schema.js';
import { type TemplateValues, variablesOf } from '../template-rendering/render-template.js';

export type TemplateRow = typeof emailTemplates.$inferSelect;

export const templateDto = z.object({
  id: z.uuid(),
  /** A system template's stable name (platform mail); null for users' own. */
  key: z.string().nullable(),
  teamId: z.uuid().nullable(),
  name: z.string(),
  subject: z.string(),
  html: z.string().nullable(),
  text: z.string().nullable(),
  variables: z.array(z.string()),
  sampleValues: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});

export const toTemplateDto = (row: TemplateRow): z.input<typeof templateDto> => ({
  id: row.id,
  key: row.key,
  teamId: row.teamId,
  name: row.name,
  subject: row.subject,
  html: row.htmlBody,
  text: row.textBody,
  variables: variablesOf(row.subject, row.htmlBody, row.textBody),
  sampleValues: row.sampleValues as TemplateValues,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
