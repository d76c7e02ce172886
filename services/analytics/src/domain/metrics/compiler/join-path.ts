import { DomainError } from '@conduit/errors';
import type { Cube } from '../dataschemas/cube-schema.js';
import { aliasOf, expand, sourceOf } from './member-sql.js';

/**
 * The FROM clause of a query over several cubes: the root cube, then each other cube the query
 * names, reached by the shortest chain of joins (a join may be followed either way: its ON
 * expression does not care which side declared it). Left joins, so the root's rows stay.
 */
export function fromClause(cubes: Cube[], root: string, needed: Set<string>): string {
  const byName = new Map(cubes.map((c) => [c.name, c]));
  const edges = new Map<string, { to: string; on: string }[]>();
  const link = (from: string, to: string, on: string) =>
    edges.set(from, [...(edges.get(from) ?? []), { to, on }]);
  for (const cube of cubes)
    for (const [target, join] of Object.entries(cube.joins)) {
      const on = expand(join.sql, cube);
      link(cube.name, target, on);
      link(target, cube.name, on);
    }

  // Breadth first from the root; each cube reached is joined once, on the edge that reached it.
  const via = new Map<string, { from: string; on: string }>();
  const queue = [root];
  const seen = new Set([root]);
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const edge of edges.get(at) ?? [])
      if (!seen.has(edge.to)) {
        seen.add(edge.to);
        via.set(edge.to, { from: at, on: edge.on });
        queue.push(edge.to);
      }
  }

  const joined = new Set([root]);
  const order: string[] = [];
  const include = (name: string) => {
    if (joined.has(name)) return;
    const step = via.get(name);
    if (!step)
      throw new DomainError('unprocessable', `No join leads from ${root} to ${name}; add one to the schema.`);
    include(step.from);
    joined.add(name);
    order.push(name);
  };
  for (const name of needed) include(name);

  return [
    sourceOf(byName.get(root)!),
    ...order.map((name) => `left join ${sourceOf(byName.get(name)!)} on (${via.get(name)!.on})`),
  ].join('\n');
}

export { aliasOf };
