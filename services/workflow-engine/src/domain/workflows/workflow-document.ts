import { readableText, storableJson, storableText } from '@conduit/contracts';
import { z } from 'zod';
import { onErrorModes, workflowStatuses } from '../../db/schema.js';

/** Most nodes and connections one workflow may hold: past these a save is refused at the edge. */
export const MAX_NODES = 500;
export const MAX_CONNECTIONS = 2000;

const nodeName = readableText(100);

/** A node as the document holds it; its config is checked against its type's schema afterwards. */
export const nodeDocument = z
  .object({
    /** Kept across saves when given (executions name nodes by id); new nodes get one. */
    id: z.uuid().optional(),
    name: nodeName,
    type: z.string().min(1).max(100),
    position: z
      .object({ x: z.int().min(-1e6).max(1e6), y: z.int().min(-1e6).max(1e6) })
      .default({ x: 0, y: 0 }),
    config: storableJson({ maxDepth: 16, maxBytes: 256 * 1024 }).default({}),
    isEnabled: z.boolean().default(true),
    retry: z
      .object({
        maxTries: z.int().min(1).max(10).default(1),
        waitBetweenTriesMs: z.int().min(0).max(3_600_000).default(1000),
      })
      .strict()
      .default({ maxTries: 1, waitBetweenTriesMs: 1000 }),
    onError: z.enum(onErrorModes).default('stop'),
    timeoutMs: z.int().min(100).max(3_600_000).nullable().default(null),
  })
  .strict();
export type NodeDocument = z.output<typeof nodeDocument>;

/** A connection between two nodes, named by their names (stable in exports and readable in errors). */
export const connectionDocument = z
  .object({
    source: nodeName,
    /** The source's output port: main, true, false, case:<n>, default, error. */
    type: z.string().min(1).max(50).default('main'),
    target: nodeName,
    /** Which input of the target (merge nodes have several). */
    targetInput: z.int().min(0).max(7).default(0),
    conditionConfig: storableJson({ maxDepth: 8, maxBytes: 16 * 1024 })
      .nullable()
      .default(null),
  })
  .strict();
export type ConnectionDocument = z.output<typeof connectionDocument>;

export const workflowSettings = z
  .object({
    timezone: z.string().max(100).default('UTC'),
    concurrencyLimit: z.int().min(1).max(1000).nullable().default(null),
    errorWorkflowId: z.uuid().nullable().default(null),
  })
  .strict();

export type WorkflowSettings = z.output<typeof workflowSettings>;

/** A workflow as one document: its fields, nodes and connections (what PUT takes, GET and export give). */
export const workflowDocument = z
  .object({
    name: readableText(200),
    description: storableText(4000).nullable().default(null),
    status: z.enum(workflowStatuses).default('draft'),
    isPublic: z.boolean().default(false),
    aiPrompt: storableText(8000).nullable().default(null),
    settings: workflowSettings.default({ timezone: 'UTC', concurrencyLimit: null, errorWorkflowId: null }),
    nodes: z.array(nodeDocument).max(MAX_NODES),
    connections: z.array(connectionDocument).max(MAX_CONNECTIONS).default([]),
  })
  .strict();
export type WorkflowDocument = z.output<typeof workflowDocument>;
export type WorkflowDocumentInput = z.input<typeof workflowDocument>;
