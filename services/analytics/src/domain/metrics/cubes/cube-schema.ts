import { storableText } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import YAML from 'yaml';
import { z } from 'zod';

/**
 * A data schema: cubes over a source's tables, each with measures, dimensions, joins and segments,
 * as a team's admins write them (YAML or JSON, Cube's vocabulary in snake_case: `sql_table`,
 * `count_distinct`, `many_to_one`). Names become SQL aliases, so they are plain identifiers; member
 * SQL is the admins' own (trusted like a view definition) but may not hold what would let it reach
 * past its place in the compiled statement: comments, `;`, or `$n` parameters of the query.
 */

const identifier = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,62}$/,
    'must be a name of letters, digits and _ (not starting with a digit)',
  );

/** `table` or `schema.table`, plain identifiers only. */
const tableName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/,
    'must be a table name, optionally with its schema (schema.table)',
  );

const memberSql = storableText(8000)
  .trim()
  .min(1)
  .refine((text) => !/--|\/\*|;/.test(text), 'may not contain comments (-- or /*) or ";"')
  .refine((text) => !/\$\d/.test(text), 'may not contain query parameters ($1, ...)');

const title = storableText(200).optional();

export const measureTypes = ['count', 'count_distinct', 'sum', 'avg', 'min', 'max'] as const;
export const dimensionTypes = ['string', 'number', 'time', 'boolean'] as const;
export const relationships = ['many_to_one', 'one_to_one', 'one_to_many'] as const;

const measure = z
  .object({
    type: z.enum(measureTypes),
    sql: memberSql.optional(),
    title,
    /** Only rows matching every filter count (an aggregate FILTER clause). */
    filters: z
      .array(z.object({ sql: memberSql }).strict())
      .max(20)
      .optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.type !== 'count' && value.sql === undefined)
      ctx.addIssue({ code: 'custom', path: ['sql'], message: `a ${value.type} measure needs sql` });
  });

const dimension = z
  .object({ type: z.enum(dimensionTypes), sql: memberSql, title, primary_key: z.boolean().optional() })
  .strict();

const join = z.object({ relationship: z.enum(relationships), sql: memberSql }).strict();
const segment = z.object({ sql: memberSql, title }).strict();

const members = <T extends z.ZodType>(member: T) =>
  z
    .record(identifier, member)
    .refine((record) => Object.keys(record).length <= 200, 'at most 200 members')
    .default({});

const cube = z
  .object({
    name: identifier,
    title,
    sql_table: tableName.optional(),
    sql: memberSql.optional(),
    measures: members(measure),
    dimensions: members(dimension),
    joins: members(join),
    segments: members(segment),
  })
  .strict()
  .superRefine((value, ctx) => {
    if ((value.sql_table === undefined) === (value.sql === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['sql_table'],
        message: 'a cube needs exactly one of sql_table or sql',
      });
    for (const name of Object.keys(value.measures))
      if (name in value.dimensions)
        ctx.addIssue({
          code: 'custom',
          path: ['measures', name],
          message: 'is also the name of a dimension',
        });
  });

export const cubeFileSchema = z
  .object({ cubes: z.array(cube).min(1).max(50) })
  .strict()
  .superRefine((file, ctx) => {
    const names = new Set<string>();
    file.cubes.forEach((c, i) => {
      if (names.has(c.name))
        ctx.addIssue({ code: 'custom', path: ['cubes', i, 'name'], message: 'is used by another cube' });
      names.add(c.name);
    });
    file.cubes.forEach((c, i) => {
      for (const target of Object.keys(c.joins))
        if (!names.has(target))
          ctx.addIssue({
            code: 'custom',
            path: ['cubes', i, 'joins', target],
            message: 'joins a cube the schema does not define',
          });
      const check = (path: (string | number)[], text: string | undefined) => {
        for (const [, ref] of (text ?? '').matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g))
          if (ref !== 'CUBE' && !names.has(ref!))
            ctx.addIssue({
              code: 'custom',
              path,
              message: `refers to {${ref}}, which is neither {CUBE} nor a cube`,
            });
      };
      // A to-many join repeats the rows of the cube on its "one" side; the compiler then counts
      // that cube's rows by primary key, so a cube with counts, sums or averages must have one.
      for (const [target, join] of Object.entries(c.joins)) {
        if (join.relationship === 'one_to_one') continue;
        const repeated = join.relationship === 'one_to_many' ? c : file.cubes.find((x) => x.name === target);
        if (!repeated) continue;
        const additive = Object.keys(repeated.measures).filter((m) =>
          ['count', 'sum', 'avg'].includes(repeated.measures[m]!.type),
        );
        if (additive.length > 0 && !Object.values(repeated.dimensions).some((d) => d.primary_key))
          ctx.addIssue({
            code: 'custom',
            path: ['cubes', file.cubes.indexOf(repeated), 'dimensions'],
            message: `needs a primary key (a dimension with primary_key: true): the ${join.relationship} join of ${c.name} and ${target} repeats ${repeated.name}'s rows, and its ${additive.join(', ')} must count each row once`,
          });
      }
      check(['cubes', i, 'sql'], c.sql);
      for (const [kind, record] of [
        ['measures', c.measures],
        ['dimensions', c.dimensions],
        ['joins', c.joins],
        ['segments', c.segments],
      ] as const)
        for (const [name, member] of Object.entries(record)) {
          check(['cubes', i, kind, name, 'sql'], (member as { sql?: string }).sql);
          for (const [j, f] of ((member as { filters?: { sql: string }[] }).filters ?? []).entries())
            check(['cubes', i, kind, name, 'filters', j, 'sql'], f.sql);
        }
    });
  });

export type CubeFile = z.output<typeof cubeFileSchema>;
export type Cube = CubeFile['cubes'][number];
export type Measure = Cube['measures'][string];
export type Dimension = Cube['dimensions'][string];
export type MeasureType = (typeof measureTypes)[number];
export type DimensionType = (typeof dimensionTypes)[number];

export const schemaFormats = ['yaml', 'json'] as const;
export type SchemaFormat = (typeof schemaFormats)[number];

/** `cubes[0].measures.revenue.type`: where in the file a problem is. */
export function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

const invalid = (errors: { path: string; message: string }[]) =>
  new DomainError(
    'unprocessable',
    `The schema is not valid: ${errors
      .slice(0, 5)
      .map((e) => `${e.path || '(top)'} ${e.message}`)
      .join('; ')}`,
    { fields: { errors } },
  );

/**
 * Parses and validates a schema's code. Throws unprocessable (422) whose detail and
 * `errors[].path` name where it is wrong, e.g. `cubes[0].measures.revenue.type`.
 */
export function parseCubeFile(code: string, format: SchemaFormat): CubeFile {
  let document: unknown;
  try {
    if (format === 'json') document = JSON.parse(code);
    else {
      const parsed = YAML.parseDocument(code, { prettyErrors: true });
      if (parsed.errors.length > 0) throw new Error(parsed.errors[0]!.message);
      document = parsed.toJS({ maxAliasCount: 100 });
    }
  } catch (error) {
    throw invalid([
      { path: '', message: `is not ${format === 'json' ? 'JSON' : 'YAML'}: ${(error as Error).message}` },
    ]);
  }
  const result = cubeFileSchema.safeParse(document);
  if (!result.success)
    throw invalid(result.error.issues.map((issue) => ({ path: pathOf(issue.path), message: issue.message })));
  return result.data;
}

/** A schema's members as clients list them: `cube.member`, kind, type, title. */
export interface SchemaMember {
  name: string;
  kind: 'measure' | 'dimension' | 'segment';
  type: string;
  title: string;
}

const titleOf = (name: string) =>
  name
    .replace(/_/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/^./, (c) => c.toUpperCase());

export function membersOf(file: CubeFile): SchemaMember[] {
  return file.cubes.flatMap((c) => {
    const cubeTitle = c.title ?? titleOf(c.name);
    return [
      ...Object.entries(c.measures).map(([name, m]) => ({
        name: `${c.name}.${name}`,
        kind: 'measure' as const,
        type: m.type,
        title: `${cubeTitle} ${m.title ?? titleOf(name)}`,
      })),
      ...Object.entries(c.dimensions).map(([name, d]) => ({
        name: `${c.name}.${name}`,
        kind: 'dimension' as const,
        type: d.type,
        title: `${cubeTitle} ${d.title ?? titleOf(name)}`,
      })),
      ...Object.entries(c.segments).map(([name, s]) => ({
        name: `${c.name}.${name}`,
        kind: 'segment' as const,
        type: 'segment',
        title: `${cubeTitle} ${s.title ?? titleOf(name)}`,
      })),
    ];
  });
}
