import type { Cube } from '../cubes/cube-schema.js';

/** A cube's alias in the compiled statement: its (identifier-only) name, quoted. */
export const aliasOf = (cubeName: string) => `"${cubeName}"`;

/**
 * Member SQL with its placeholders replaced: `{CUBE}` by the alias of the cube it belongs to and
 * `{other}` by another cube's. Names were checked on save to be identifiers and known cubes.
 */
export function expand(text: string, cube: Cube): string {
  return text.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, ref: string) =>
    aliasOf(ref === 'CUBE' ? cube.name : ref),
  );
}

/** The cube's source in a FROM clause: its table, or its SQL as a subquery. */
export function sourceOf(cube: Cube): string {
  const from = cube.sql_table
    ? cube.sql_table
        .split('.')
        .map((part) => `"${part}"`)
        .join('.')
    : `(${expand(cube.sql!, cube)})`;
  return `${from} as ${aliasOf(cube.name)}`;
}
