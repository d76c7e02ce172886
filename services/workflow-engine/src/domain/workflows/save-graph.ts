import { type Transaction, uuidv7 } from '@conduit/db';
import { and, eq } from 'drizzle-orm';
import { workflowConnections, workflowNodes, workflowVersions } from '../../db/schema.js';
import type { WorkflowDocument } from './workflow-document.js';

/**
 * Writes a validated document as the workflow's current graph (its nodes and connections replace
 * the old ones) and as version `version`. Nodes keep the id they came with, or the id of the
 * node of the same name before, so executions and exports keep naming the same node.
 * Answers the document as stored (every node with its id).
 */
export async function saveGraph(
  tx: Transaction,
  workflowId: string,
  version: number,
  document: WorkflowDocument,
  createdBy: string,
): Promise<WorkflowDocument> {
  const previous = await tx
    .select({ id: workflowNodes.id, name: workflowNodes.name })
    .from(workflowNodes)
    .where(eq(workflowNodes.workflowId, workflowId));
  const previousIds = new Map(previous.map((node) => [node.name, node.id]));
  const nodes = document.nodes.map((node) => ({
    ...node,
    id: node.id ?? previousIds.get(node.name) ?? uuidv7(),
  }));
  const stored: WorkflowDocument = { ...document, nodes };

  await tx.delete(workflowNodes).where(eq(workflowNodes.workflowId, workflowId));
  if (nodes.length)
    await tx.insert(workflowNodes).values(
      nodes.map((node) => ({
        id: node.id,
        workflowId,
        nodeType: node.type,
        name: node.name,
        positionX: node.position.x,
        positionY: node.position.y,
        config: node.config ?? {},
        isEnabled: node.isEnabled,
        maxTries: node.retry.maxTries,
        waitBetweenTriesMs: node.retry.waitBetweenTriesMs,
        onError: node.onError,
        timeoutMs: node.timeoutMs,
      })),
    );
  const idOf = new Map(nodes.map((node) => [node.name, node.id]));
  if (document.connections.length)
    await tx.insert(workflowConnections).values(
      document.connections.map((connection) => ({
        id: uuidv7(),
        workflowId,
        sourceNodeId: idOf.get(connection.source)!,
        targetNodeId: idOf.get(connection.target)!,
        connectionType: connection.type,
        targetInput: connection.targetInput,
        conditionConfig: connection.conditionConfig,
      })),
    );
  await tx.insert(workflowVersions).values({ workflowId, version, document: stored, createdBy });
  return stored;
}

/** The document of one version of a workflow (the caller has checked access). */
export async function readVersion(tx: Transaction, workflowId: string, version: number) {
  const [row] = await tx
    .select({ document: workflowVersions.document })
    .from(workflowVersions)
    .where(and(eq(workflowVersions.workflowId, workflowId), eq(workflowVersions.version, version)));
  return row?.document as WorkflowDocument | undefined;
}
