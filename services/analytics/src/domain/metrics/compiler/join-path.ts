import { DomainError } from '@conduit/errors';
import type { Cube } from '../cubes/cube-schema.js';
import { aliasOf, expand, sourceOf } from './member-sql.js';

/** One join of a query's tree: `cube` reached from `from`; `toMany` when one `from` row meets many. */
interface JoinStep {
  cube: string;
  from: string;
  on: string;
  toMany: boolean;
  /** The other way round: one `cube` row meets many `from` rows. */
  backToMany: boolean;
}

export interface JoinPlan {
  /** The FROM clause: the root cube, then the left joins the query needs. */
  from: string;
  /**
   * The cubes whose rows the joins repeat: those with a to-many join somewhere on the far side of
   * it. Their sums, counts and averages would count a row once per match, so the compiler
   * aggregates them by primary key instead; min, max and count distinct are unaffected.
   */
  multiplied: Map<string, string>;
}

/** Which way a declared join fans out: `one_to_many` from its cube, `many_to_one` from its target. */
const fansOut = (relationship: string, fromDeclaringCube: boolean) =>
  relationship === (fromDeclaringCube ? 'one_to_many' : 'many_to_one');

/**
 * The joins of a query over several cubes: the root cube, then each other cube the query names,
 * reached by the shortest chain of joins (a join may be followed either way: its ON expression does
 * not care which side declared it). Left joins, so the root's rows stay.
 */
export function joinPlan(cubes: Cube[], root: string, needed: Set<string>): JoinPlan {
  const byName = new Map(cubes.map((c) => [c.name, c]));
  const edges = new Map<string, { to: string; on: string; toMany: boolean; backToMany: boolean }[]>();
  const link = (from: string, to: string, on: string, toMany: boolean, backToMany: boolean) =>
    edges.set(from, [...(edges.get(from) ?? []), { to, on, toMany, backToMany }]);
  for (const cube of cubes)
    for (const [target, join] of Object.entries(cube.joins)) {
      const on = expand(join.sql, cube);
      const forward = fansOut(join.relationship, true);
      const backward = fansOut(join.relationship, false);
      link(cube.name, target, on, forward, backward);
      link(target, cube.name, on, backward, forward);
    }

  // Breadth first from the root; each cube reached is joined once, on the edge that reached it.
  const via = new Map<string, JoinStep>();
  const queue = [root];
  const seen = new Set([root]);
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const edge of edges.get(at) ?? [])
      if (!seen.has(edge.to)) {
        seen.add(edge.to);
        via.set(edge.to, { cube: edge.to, from: at, ...edge });
        queue.push(edge.to);
      }
  }

  const joined = new Set([root]);
  const steps: JoinStep[] = [];
  const include = (name: string) => {
    if (joined.has(name)) return;
    const step = via.get(name);
    if (!step)
      throw new DomainError('unprocessable', `No join leads from ${root} to ${name}; add one to the schema.`);
    include(step.from);
    joined.add(name);
    steps.push(step);
  };
  for (const name of needed) include(name);

  // A cube is multiplied when, walking the tree away from it, some join is to-many in that
  // direction: a join below it (from its side), or one above it taken upwards.
  const below = (name: string): Set<string> => {
    const out = new Set([name]);
    for (const step of steps) if (out.has(step.from)) out.add(step.cube);
    return out;
  };
  const multiplied = new Map<string, string>();
  for (const name of joined)
    for (const step of steps) {
      const inStepSubtree = below(step.cube).has(name);
      if (inStepSubtree ? step.backToMany : step.toMany) {
        multiplied.set(name, inStepSubtree ? `${step.cube} → ${step.from}` : `${step.from} → ${step.cube}`);
        break;
      }
    }

  return {
    from: [
      sourceOf(byName.get(root)!),
      ...steps.map((s) => `left join ${sourceOf(byName.get(s.cube)!)} on (${s.on})`),
    ].join('\n'),
    multiplied,
  };
}

export { aliasOf };
