import { DomainError } from '@conduit/errors';
import { nodeTypes } from '../../nodes/catalog.js';
import { ExpressionError, expressionsIn, parseExpression } from '../expressions/expression.js';
import type { WorkflowDocument } from './workflow-document.js';

export interface GraphProblem {
  path: string;
  node?: string;
  message: string;
}

/**
 * Checks a workflow document as a whole and answers its configs parsed by their node types.
 * Throws unprocessable (422) listing every problem, each naming its node and field: unknown node
 * types, bad config, expressions that do not parse, duplicate names, connections to nodes or
 * ports that do not exist, duplicate connections, inputs into triggers, cycles, no trigger.
 */
export function validateGraph(document: WorkflowDocument): WorkflowDocument {
  const problems: GraphProblem[] = [];
  const byName = new Map<string, number>();
  const parsedConfigs: unknown[] = [];
  const ids = new Set<string>();
  /** Nodes whose type or config is wrong: their ports and inputs cannot be known. */
  const broken = new Set<string>();

  document.nodes.forEach((node, i) => {
    const at = `nodes.${i}`;
    if (byName.has(node.name))
      problems.push({ path: `${at}.name`, node: node.name, message: 'is the name of another node' });
    else byName.set(node.name, i);
    if (node.id && ids.has(node.id))
      problems.push({ path: `${at}.id`, node: node.name, message: 'is the id of another node' });
    if (node.id) ids.add(node.id);
    const type = nodeTypes[node.type];
    if (!type) {
      problems.push({ path: `${at}.type`, node: node.name, message: `"${node.type}" is not a node type` });
      broken.add(node.name);
      parsedConfigs.push(node.config);
      return;
    }
    const parsed = type.config.safeParse(node.config);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push({
          path: [at, 'config', ...issue.path.map(String)].join('.'),
          node: node.name,
          message: issue.message,
        });
      broken.add(node.name);
      parsedConfigs.push(node.config);
      return;
    }
    parsedConfigs.push(parsed.data);
    for (const problem of type.check?.(parsed.data) ?? [])
      problems.push({ path: `${at}.config.${problem.path}`, node: node.name, message: problem.message });
    for (const expression of expressionsIn(node.config)) {
      try {
        parseExpression(expression);
      } catch (error) {
        problems.push({
          path: `${at}.config`,
          node: node.name,
          message: error instanceof ExpressionError ? error.message : String(error),
        });
      }
    }
  });

  const seen = new Set<string>();
  const edges = new Map<string, string[]>();
  document.connections.forEach((connection, i) => {
    const at = `connections.${i}`;
    const source = byName.get(connection.source);
    const target = byName.get(connection.target);
    if (source === undefined)
      problems.push({
        path: `${at}.source`,
        node: connection.source,
        message: `no node is named "${connection.source}"`,
      });
    if (target === undefined)
      problems.push({
        path: `${at}.target`,
        node: connection.target,
        message: `no node is named "${connection.target}"`,
      });
    if (source === undefined || target === undefined) return;
    const key = JSON.stringify([
      connection.source,
      connection.type,
      connection.target,
      connection.targetInput,
    ]);
    if (seen.has(key)) {
      problems.push({
        path: at,
        node: connection.source,
        message: 'connects the same ports as another connection',
      });
      return;
    }
    seen.add(key);
    const sourceNode = document.nodes[source]!;
    const sourceType = nodeTypes[sourceNode.type];
    if (
      sourceType &&
      parsedConfigs[source] !== undefined &&
      problems.every((p) => p.node !== sourceNode.name)
    ) {
      const ports = [
        ...sourceType.outputs(parsedConfigs[source]),
        ...(sourceNode.onError === 'error-output' ? ['error'] : []),
      ];
      if (!ports.includes(connection.type))
        problems.push({
          path: `${at}.type`,
          node: sourceNode.name,
          message: `"${connection.type}" is not an output of ${sourceNode.name} (${ports.join(', ') || 'it has none'})`,
        });
    }
    const targetNode = document.nodes[target]!;
    const targetType = nodeTypes[targetNode.type];
    if (targetType && !broken.has(targetNode.name)) {
      const inputs = targetType.trigger ? 0 : (targetType.inputs?.(parsedConfigs[target]) ?? 1);
      if (connection.targetInput >= inputs)
        problems.push({
          path: `${at}.targetInput`,
          node: targetNode.name,
          message:
            inputs === 0
              ? `${targetNode.name} is a trigger and takes no input`
              : `${targetNode.name} has ${inputs} input(s)`,
        });
    }
    edges.set(connection.source, [...(edges.get(connection.source) ?? []), connection.target]);
  });

  if (!document.nodes.some((node) => nodeTypes[node.type]?.trigger))
    problems.push({
      path: 'nodes',
      message: 'a workflow needs a trigger node (manual, webhook, schedule or event)',
    });

  const webhookPaths = new Map<string, string>();
  document.nodes.forEach((node, i) => {
    if (node.type !== 'webhook') return;
    const path = (parsedConfigs[i] as { path?: string } | undefined)?.path;
    if (!path) return;
    if (webhookPaths.has(path))
      problems.push({
        path: `nodes.${i}.config.path`,
        node: node.name,
        message: `is also the path of ${webhookPaths.get(path)}`,
      });
    else webhookPaths.set(path, node.name);
  });

  const cycle = findCycle(
    document.nodes.map((n) => n.name),
    edges,
  );
  if (cycle)
    problems.push({
      path: 'connections',
      node: cycle[0],
      message: `the connections loop: ${cycle.join(' -> ')}`,
    });

  if (problems.length)
    throw new DomainError(
      'unprocessable',
      `The workflow is not valid: ${problems
        .slice(0, 5)
        .map((p) => `${p.node ? `node "${p.node}" ` : ''}${p.path}: ${p.message}`)
        .join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`,
      // Each field error names its node in the message (problem+json field errors carry path and message).
      {
        fields: {
          errors: problems
            .slice(0, 100)
            .map((p) => ({ path: p.path, message: p.node ? `node "${p.node}": ${p.message}` : p.message })),
        },
      },
    );
  return { ...document, nodes: document.nodes.map((node, i) => ({ ...node, config: parsedConfigs[i] })) };
}

/** A cycle in the graph as the names along it, or undefined (iterative DFS: no deep recursion). */
function findCycle(names: string[], edges: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  for (const start of names) {
    if (state.has(start)) continue;
    const stack: { name: string; next: number }[] = [{ name: start, next: 0 }];
    state.set(start, 'open');
    while (stack.length) {
      const top = stack.at(-1)!;
      const targets = edges.get(top.name) ?? [];
      if (top.next >= targets.length) {
        state.set(top.name, 'done');
        stack.pop();
        continue;
      }
      const target = targets[top.next++]!;
      if (state.get(target) === 'open') {
        const from = stack.findIndex((frame) => frame.name === target);
        return [...stack.slice(from).map((frame) => frame.name), target];
      }
      if (!state.has(target)) {
        state.set(target, 'open');
        stack.push({ name: target, next: 0 });
      }
    }
  }
  return undefined;
}
