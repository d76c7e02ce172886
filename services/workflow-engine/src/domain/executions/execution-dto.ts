import { z } from 'zod';
import {
  executionStatuses,
  type nodeExecutions,
  nodeRunStatuses,
  triggerTypes,
  type workflowExecutions,
} from '../../db/schema.js';
import { isSpilled } from './large-data.js';

export const executionDto = z.object({
  id: z.uuid(),
  workflowId: z.uuid(),
  workflowVersion: z.int(),
  userId: z.uuid().nullable(),
  status: z.enum(executionStatuses),
  triggerType: z.enum(triggerTypes),
  /** The execution this one retries. */
  retryOf: z.uuid().nullable(),
  input: z.unknown(),
  output: z.unknown(),
  error: z.string().nullable(),
  errorNode: z.string().nullable(),
  execTimeMs: z.int().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});

export const nodeRunDto = z.object({
  nodeId: z.uuid(),
  nodeName: z.string(),
  nodeType: z.string(),
  status: z.enum(nodeRunStatuses),
  attempt: z.int(),
  input: z.unknown(),
  output: z.unknown(),
  error: z.string().nullable(),
  execTimeMs: z.int().nullable(),
  resumeAt: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});

export const executionDetailDto = executionDto.extend({ nodes: z.array(nodeRunDto) });

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** In lists, items kept apart are not fetched: the place says how large they are. */
export const listed = (value: unknown) =>
  isSpilled(value) ? { storedApart: true, bytes: value.bytes } : value;

export const toExecutionDto = (
  row: typeof workflowExecutions.$inferSelect,
): z.output<typeof executionDto> => ({
  id: row.id,
  workflowId: row.workflowId,
  workflowVersion: row.workflowVersion,
  userId: row.userId,
  status: row.status,
  triggerType: row.triggerType,
  retryOf: row.retryOf,
  input: row.inputData,
  output: row.outputData,
  error: row.errorMessage,
  errorNode: row.errorNode,
  execTimeMs: row.execTimeMs,
  createdAt: row.createdAt.toISOString(),
  startedAt: iso(row.startedAt),
  finishedAt: iso(row.finishedAt),
});

export const toNodeRunDto = (row: typeof nodeExecutions.$inferSelect): z.output<typeof nodeRunDto> => ({
  nodeId: row.nodeId,
  nodeName: row.nodeName,
  nodeType: row.nodeType,
  status: row.status,
  attempt: row.attempt,
  input: row.inputData,
  output: row.outputData,
  error: row.errorMessage,
  execTimeMs: row.execTimeMs,
  resumeAt: iso(row.resumeAt),
  startedAt: row.startedAt.toISOString(),
  finishedAt: iso(row.finishedAt),
});
