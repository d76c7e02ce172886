import { z } from 'zod';
import { workflowStatuses } from '../../db/schema.js';
import type { WorkflowRow } from './workflow-access.js';
import {
  connectionDocument,
  nodeDocument,
  type WorkflowDocument,
  workflowSettings,
} from './workflow-document.js';

export const workflowSummaryDto = z.object({
  id: z.uuid(),
  ownerUserId: z.uuid(),
  teamId: z.uuid().nullable(),
  name: z.string(),
  description: z.string().nullable(),
  status: z.enum(workflowStatuses),
  isPublic: z.boolean(),
  version: z.int(),
  executionCount: z.int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const workflowDto = workflowSummaryDto.extend({
  aiPrompt: z.string().nullable(),
  settings: workflowSettings,
  nodes: z.array(nodeDocument.extend({ id: z.uuid() })),
  connections: z.array(connectionDocument),
});
export type WorkflowDto = z.output<typeof workflowDto>;

export const toSummaryDto = (row: WorkflowRow): z.output<typeof workflowSummaryDto> => ({
  id: row.id,
  ownerUserId: row.userId,
  teamId: row.teamId,
  name: row.name,
  description: row.description,
  status: row.status,
  isPublic: row.isPublic,
  version: row.version,
  executionCount: row.executionCount,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

/** The workflow's row and the document of its current version, as one. */
export const toWorkflowDto = (row: WorkflowRow, document: WorkflowDocument): WorkflowDto => ({
  ...toSummaryDto(row),
  aiPrompt: row.aiPrompt,
  settings: document.settings,
  nodes: document.nodes as WorkflowDto['nodes'],
  connections: document.connections,
});
