import { z } from 'zod';
import type { workflowTemplates } from '../../db/schema.js';
import { type WorkflowDocument, workflowDocument } from '../workflows/workflow-document.js';

export type TemplateRow = typeof workflowTemplates.$inferSelect;

/** Categories are short slugs (`webhooks`, `schedules`, ...), to filter the list by. */
export const templateCategory = z
  .string()
  .max(50)
  .regex(/^[a-z0-9][a-z0-9-]{0,49}$/, 'a lower-case slug of at most 50');

export const templateSummaryDto = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  category: z.string(),
  isOfficial: z.boolean(),
  ownerUserId: z.uuid().nullable(),
  teamId: z.uuid().nullable(),
  usageCount: z.int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const templateDto = templateSummaryDto.extend({ document: workflowDocument });

export const toTemplateSummaryDto = (row: TemplateRow): z.output<typeof templateSummaryDto> => ({
  id: row.id,
  name: row.name,
  description: row.description,
  category: row.category,
  isOfficial: row.isOfficial,
  ownerUserId: row.userId,
  teamId: row.teamId,
  usageCount: row.usageCount,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

/** The template's document with the defaults of the current document format filled in. */
export const templateDocument = (row: TemplateRow): WorkflowDocument =>
  workflowDocument.parse(row.templateData);

export const toTemplateDto = (row: TemplateRow): z.output<typeof templateDto> => ({
  ...toTemplateSummaryDto(row),
  document: templateDocument(row),
});
