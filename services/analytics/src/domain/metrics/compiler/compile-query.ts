import { DomainError } from '@conduit/errors';
import { type SQL, sql } from 'drizzle-orm';
import { isTimeZone } from '../../queries/time-range.js';
import type { Cube, CubeFile, Dimension, DimensionType, Measure } from '../dataschemas/cube-schema.js';
import type { ExplorationQuery, FilterOperator, Granularity } from '../explorations/exploration-query.js';
import { type Bound, resolveDateRange } from './date-range.js';
import { fromClause } from './join-path.js';
import { expand } from './member-sql.js';

/**
 * Compiles a query of a schema's members into ONE parameterized statement. What goes into the
 * text comes from the schema (its admins' member SQL, aliases that are plain identifiers) or from
 * closed lists (operators, granularities, directions); what the caller chose as values, the time
 * zone, date bounds and the limit go only as bind parameters. A member is found by name lookup in
 * the schema, never by pasting the name.
 */

export type ColumnType = 'time' | 'number' | 'string' | 'boolean';

export interface ResultColumn {
  /** The key of the column in each row: `cube.member`, or `cube.member.granularity`. */
  name: string;
  member: string;
  type: ColumnType;
  title: string;
}

export interface CompiledQuery {
  statement: SQL;
  columns: ResultColumn[];
  /** Rows the caller may get; the statement asks for one more to tell when there were more. */
  limit: number;
}

export interface CompileOptions {
  now: Date;
  /** Most rows any query returns, whatever its limit. */
  rowCap: number;
}

const truncUnits: Record<Granularity, string> = {
  hour: 'hour',
  day: 'day',
  week: 'week',
  month: 'month',
  quarter: 'quarter',
  year: 'year',
};

const unprocessable = (path: string, detail: string) =>
  new DomainError('unprocessable', `${path}: ${detail}`, { fields: { errors: [{ path, message: detail }] } });
const badValue = (path: string, detail: string) =>
  new DomainError('bad_request', `${path}: ${detail}`, { fields: { errors: [{ path, message: detail }] } });

const titleOf = (name: string) =>
  name
    .replace(/_/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/^./, (c) => c.toUpperCase());

interface Found<M> {
  cube: Cube;
  name: string;
  member: M;
}

/** Output alias: built from identifiers only (checked on save and by the query schema). */
const alias = (name: string) => sql.raw(`"${name}"`);

export function compileQuery(
  file: CubeFile,
  query: ExplorationQuery,
  options: CompileOptions,
): CompiledQuery {
  const cubes = new Map(file.cubes.map((c) => [c.name, c]));
  if (!isTimeZone(query.timeZone))
    throw badValue('timeZone', 'is not a known IANA time zone, e.g. Europe/Berlin');
  const tz = query.timeZone;

  function lookup<K extends 'measures' | 'dimensions' | 'segments'>(
    kind: K,
    name: string,
    path: string,
  ): Found<Cube[K][string]> {
    const [cubeName, memberName] = name.split('.') as [string, string];
    const cube = cubes.get(cubeName);
    const record = cube?.[kind] as Record<string, Cube[K][string]> | undefined;
    if (!cube || !record || !Object.hasOwn(record, memberName))
      throw unprocessable(path, `the schema has no ${kind.slice(0, -1)} named ${JSON.stringify(name)}`);
    return { cube, name, member: record[memberName]! };
  }
  const isMeasure = (name: string) => {
    const [cubeName, memberName] = name.split('.') as [string, string];
    const cube = cubes.get(cubeName);
    return !!cube && Object.hasOwn(cube.measures, memberName);
  };

  const needed = new Set<string>();
  const use = <M>(found: Found<M>) => {
    needed.add(found.cube.name);
    return found;
  };

  const measureExpr = ({ cube, member }: Found<Measure>): SQL => {
    const value = member.sql ? `(${expand(member.sql, cube)})` : undefined;
    const aggregate = {
      count: value ? `count(${value})` : 'count(*)',
      count_distinct: `count(distinct ${value})`,
      sum: `sum(${value})`,
      avg: `avg(${value})`,
      min: `min(${value})`,
      max: `max(${value})`,
    }[member.type];
    const filters = member.filters?.map((f) => `(${expand(f.sql, cube)})`) ?? [];
    return sql.raw(filters.length > 0 ? `${aggregate} filter (where ${filters.join(' and ')})` : aggregate);
  };
  const dimensionExpr = ({ cube, member }: Found<Dimension>) => sql.raw(`(${expand(member.sql, cube)})`);
  const boundExpr = (bound: Bound): SQL =>
    'local' in bound
      ? sql`(${bound.local}::timestamp at time zone ${tz})`
      : sql`${bound.instant}::timestamptz`;

  const select: SQL[] = [];
  const columns: ResultColumn[] = [];
  const where: SQL[] = [];
  const having: SQL[] = [];

  query.dimensions.forEach((name, i) => {
    const found = use(lookup('dimensions', name, `dimensions[${i}]`));
    select.push(sql`${dimensionExpr(found)} as ${alias(name)}`);
    columns.push({
      name,
      member: name,
      type: found.member.type === 'time' ? 'time' : found.member.type,
      title: titleFor(found),
    });
  });

  let timeColumn: string | undefined;
  if (query.timeDimension) {
    const { dimension, granularity, dateRange } = query.timeDimension;
    const found = use(lookup('dimensions', dimension, 'timeDimension.dimension'));
    if (found.member.type !== 'time')
      throw unprocessable('timeDimension.dimension', `${dimension} is not a time dimension`);
    const expr = sql`(${dimensionExpr(found)})::timestamptz`;
    if (granularity) {
      timeColumn = `${dimension}.${granularity}`;
      select.push(
        sql`date_trunc(${sql.raw(`'${truncUnits[granularity]}'`)}, ${expr}, ${tz}) as ${alias(timeColumn)}`,
      );
      columns.push({
        name: timeColumn,
        member: dimension,
        type: 'time',
        title: `${titleFor(found)} (${granularity})`,
      });
    }
    if (dateRange) {
      const range = resolveDateRange(dateRange, tz, options.now);
      where.push(sql`${expr} >= ${boundExpr(range.from)} and ${expr} < ${boundExpr(range.to)}`);
    }
  }
  const groupCount = select.length;

  query.measures.forEach((name, i) => {
    const found = use(lookup('measures', name, `measures[${i}]`));
    select.push(sql`${measureExpr(found)} as ${alias(name)}`);
    columns.push({ name, member: name, type: 'number', title: titleFor(found) });
  });
  if (select.length === 0) throw unprocessable('measures', 'a query needs at least one measure or dimension');

  query.segments.forEach((name, i) => {
    const { cube, member } = use(lookup('segments', name, `segments[${i}]`));
    where.push(sql.raw(`(${expand(member.sql, cube)})`));
  });

  query.filters.forEach((filter, i) => {
    const path = `filters[${i}]`;
    if (isMeasure(filter.member)) {
      const found = use(lookup('measures', filter.member, `${path}.member`));
      having.push(condition(measureExpr(found), 'number', filter.operator, filter.values, path));
    } else {
      const found = use(lookup('dimensions', filter.member, `${path}.member`));
      const expr =
        found.member.type === 'time' ? sql`(${dimensionExpr(found)})::timestamptz` : dimensionExpr(found);
      where.push(condition(expr, found.member.type, filter.operator, filter.values, path));
    }
  });

  function condition(
    expr: SQL,
    type: DimensionType,
    operator: FilterOperator,
    values: string[],
    path: string,
  ): SQL {
    const valuesPath = `${path}.values`;
    const need = (count: number | 'some') => {
      if (count === 'some' ? values.length === 0 : values.length !== count)
        throw badValue(
          valuesPath,
          `${operator} takes ${count === 'some' ? 'at least one value' : count === 0 ? 'no values' : `${count} value${count === 1 ? '' : 's'}`}`,
        );
    };
    const typed = (value: string, j: number): SQL => {
      switch (type) {
        case 'number':
          if (!/^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d{1,3})?$/.test(value))
            throw badValue(`${valuesPath}[${j}]`, 'is not a number');
          return sql`${value}::numeric`;
        case 'boolean':
          if (value !== 'true' && value !== 'false')
            throw badValue(`${valuesPath}[${j}]`, 'is not true or false');
          return sql`${value}::boolean`;
        case 'time': {
          const range = resolveDateRange([value, value], tz, options.now);
          return boundExpr(range.from);
        }
        case 'string':
          return sql`${value}::text`;
      }
    };
    const list = () => sql.join(values.map(typed), sql`, `);
    switch (operator) {
      case 'equals':
        need('some');
        return sql`${expr} in (${list()})`;
      case 'notEquals':
        need('some');
        return sql`(${expr} not in (${list()}) or ${expr} is null)`;
      case 'contains': {
        need('some');
        if (type !== 'string')
          throw unprocessable(`${path}.operator`, 'contains applies to string dimensions');
        const patterns = values.map(
          (v) => sql`${expr} ilike ${`%${v.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`,
        );
        return sql`(${sql.join(patterns, sql` or `)})`;
      }
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte': {
        need(1);
        if (type === 'string' || type === 'boolean')
          throw unprocessable(`${path}.operator`, `${operator} applies to numbers and times`);
        const op = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[operator];
        return sql`${expr} ${sql.raw(op)} ${typed(values[0]!, 0)}`;
      }
      case 'set':
        need(0);
        return sql`${expr} is not null`;
      case 'notSet':
        need(0);
        return sql`${expr} is null`;
      case 'inDateRange': {
        need(2);
        if (type !== 'time')
          throw unprocessable(`${path}.operator`, 'inDateRange applies to time dimensions');
        const range = resolveDateRange([values[0]!, values[1]!], tz, options.now);
        return sql`${expr} >= ${boundExpr(range.from)} and ${expr} < ${boundExpr(range.to)}`;
      }
    }
  }

  // Order by output columns only: a member the query selects (a time dimension by its bucket).
  const outputs = new Map(columns.map((c) => [c.name, c.name]));
  if (timeColumn && query.timeDimension) outputs.set(query.timeDimension.dimension, timeColumn);
  const order = query.order.map((o, i) => {
    const column = outputs.get(o.member);
    if (!column)
      throw unprocessable(
        `order[${i}].member`,
        `${o.member} is not among the query's measures and dimensions`,
      );
    return sql`${alias(column)} ${sql.raw(o.direction === 'desc' ? 'desc' : 'asc')}`;
  });
  if (order.length === 0) {
    if (timeColumn) order.push(sql`${alias(timeColumn)} asc`);
    else if (query.measures[0]) order.push(sql`${alias(query.measures[0])} desc`);
    else order.push(sql`${alias(columns[0]!.name)} asc`);
  }

  const root = query.measures[0] ?? query.dimensions[0] ?? query.timeDimension!.dimension;
  const from = sql.raw(fromClause(file.cubes, root.split('.')[0]!, needed));
  const limit = Math.min(query.limit, options.rowCap);
  const groupBy =
    groupCount > 0
      ? sql`group by ${sql.raw(Array.from({ length: groupCount }, (_, i) => i + 1).join(', '))}`
      : undefined;

  const statement = sql.join(
    [
      sql`select ${sql.join(select, sql`, `)}`,
      sql`from ${from}`,
      where.length > 0 ? sql`where ${sql.join(where, sql` and `)}` : undefined,
      groupBy,
      having.length > 0 ? sql`having ${sql.join(having, sql` and `)}` : undefined,
      sql`order by ${sql.join(order, sql`, `)}`,
      sql`limit ${limit + 1}`,
    ].filter((part): part is SQL => part !== undefined),
    sql`\n`,
  );
  return { statement, columns, limit };
}

function titleFor({ cube, name, member }: Found<{ title?: string | undefined }>) {
  return `${cube.title ?? titleOf(cube.name)} ${member.title ?? titleOf(name.split('.')[1]!)}`;
}
