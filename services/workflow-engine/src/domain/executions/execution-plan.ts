import { nodeTypes } from '../../nodes/catalog.js';
import type { NodeType } from '../../nodes/node-type.js';
import type { ConnectionDocument, NodeDocument, WorkflowDocument } from '../workflows/workflow-document.js';

export interface PlannedNode {
  node: NodeDocument & { id: string };
  type: NodeType;
  incoming: ConnectionDocument[];
}

/**
 * The order nodes run in: topological (a node after every node that feeds it, so a merge sees
 * all its inputs), ties in document order. The same document always gives the same order, so a
 * resumed execution walks the same path and finds its committed nodes where it left them.
 */
export function executionPlan(document: WorkflowDocument): PlannedNode[] {
  const nodes = document.nodes as (NodeDocument & { id: string })[];
  const index = new Map(nodes.map((node, i) => [node.name, i]));
  const pending = nodes.map(() => 0);
  const outgoing = nodes.map((): number[] => []);
  const incoming = nodes.map((): ConnectionDocument[] => []);
  for (const connection of document.connections) {
    const source = index.get(connection.source)!;
    const target = index.get(connection.target)!;
    outgoing[source]!.push(target);
    incoming[target]!.push(connection);
    pending[target]!++;
  }
  const order: PlannedNode[] = [];
  const ready = nodes.map((_, i) => i).filter((i) => pending[i] === 0);
  while (ready.length) {
    ready.sort((a, b) => a - b);
    const i = ready.shift()!;
    order.push({ node: nodes[i]!, type: nodeTypes[nodes[i]!.type]!, incoming: incoming[i]! });
    for (const target of outgoing[i]!) if (--pending[target]! === 0) ready.push(target);
  }
  return order;
}
