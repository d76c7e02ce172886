import { DomainError } from '@conduit/errors';
import { type SQL, sql } from 'drizzle-orm';
import { isTimeZone } from '../../queries/time-range.js';
import type { Cube, CubeFile, Dimension, DimensionType, Measure } from '../cubes/cube-schema.js';
import { type Bound, resolveDateRange } from './date-range.js';
import type { ExplorationQuery, FilterOperator, Granularity } from './exploration-query.js';
import { joinPlan } from './join-path.js';
import { expand, sourceOf } from './member-sql.js';

/**
 * Compiles a query of a schema's members into ONE parameterized statement. What goes into the
 * text comes from the schema (its admins' member SQL, aliases that are plain identifiers) or from
 * closed lists (operators, granularities, directions); what the caller chose as values, the time
 * zone, date bounds and the limit go only as bind parameters. A member is found by name lookup in
 * the schema, never by pasting the name.
 *
 * Joins follow Cube: when a one-to-many join repeats a cube's rows, that cube's sums, counts and
 * averages are taken over its distinct rows (by primary key) in a subquery of their own and joined
 * back to the others on the query's dimensions; see `fannedOutStatement`.
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
  minute: 'minute',
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
    // A plain count counts the cube's rows by primary key when it has one (as Cube does), so the
    // empty row a left join adds for an unmatched row is not counted as one of the cube's.
    const key = Object.values(cube.dimensions).find((d) => d.primary_key);
    const aggregate = {
      count: value ? `count(${value})` : key ? `count((${expand(key.sql, cube)}))` : 'count(*)',
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
  /** What the query groups by, in select order (dimensions, then the time bucket). */
  const groups: SQL[] = [];
  const columns: ResultColumn[] = [];
  const where: SQL[] = [];
  const having: SQL[] = [];

  query.dimensions.forEach((name, i) => {
    const found = use(lookup('dimensions', name, `dimensions[${i}]`));
    groups.push(dimensionExpr(found));
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
      const bucket = sql`date_trunc(${sql.raw(`'${truncUnits[granularity]}'`)}, ${expr}, ${tz})`;
      groups.push(bucket);
      select.push(sql`${bucket} as ${alias(timeColumn)}`);
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

  const measures: { found: Found<Measure>; path: string }[] = [];
  query.measures.forEach((name, i) => {
    const found = use(lookup('measures', name, `measures[${i}]`));
    measures.push({ found, path: `measures[${i}]` });
    select.push(sql`${measureExpr(found)} as ${alias(name)}`);
    columns.push({ name, member: name, type: 'number', title: titleFor(found) });
  });
  if (select.length === 0) throw unprocessable('measures', 'a query needs at least one measure or dimension');

  query.segments.forEach((name, i) => {
    const { cube, member } = use(lookup('segments', name, `segments[${i}]`));
    where.push(sql.raw(`(${expand(member.sql, cube)})`));
  });

  /** Conditions on measures, applied after grouping (to whatever expression the plan gives them). */
  const measureConditions: { found: Found<Measure>; make: (expr: SQL) => SQL }[] = [];
  query.filters.forEach((filter, i) => {
    const path = `filters[${i}]`;
    if (isMeasure(filter.member)) {
      const found = use(lookup('measures', filter.member, `${path}.member`));
      const make = (expr: SQL) => condition(expr, 'number', filter.operator, filter.values, path);
      make(measureExpr(found)); // checks the values now, so a bad one is refused before any plan
      measureConditions.push({ found, make });
      measures.push({ found, path: `${path}.member` });
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
  const plan = joinPlan(file.cubes, root.split('.')[0]!, needed);
  const from = sql.raw(plan.from);
  const limit = Math.min(query.limit, options.rowCap);

  const fannedOut = measures.filter(
    ({ found }) => repeatable(found.member) && plan.multiplied.has(found.cube.name),
  );
  if (fannedOut.length > 0) {
    const statement = fannedOutStatement({
      file,
      plan,
      from,
      groups,
      groupAliases: columns.slice(0, groupCount).map((c) => c.name),
      measures,
      queryMeasures: query.measures,
      measureExpr,
      measureConditions,
      where,
      order,
      limit,
    });
    return { statement, columns, limit };
  }
  having.push(...measureConditions.map(({ found, make }) => make(measureExpr(found))));

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

/** Aggregates a repeated row changes: each copy adds to a count, a sum and an average's weight. */
const repeatable = (measure: Measure) =>
  measure.type === 'count' || measure.type === 'sum' || measure.type === 'avg';

interface FanOutParts {
  file: CubeFile;
  plan: ReturnType<typeof joinPlan>;
  from: SQL;
  groups: SQL[];
  groupAliases: string[];
  measures: { found: Found<Measure>; path: string }[];
  queryMeasures: string[];
  measureExpr: (found: Found<Measure>) => SQL;
  measureConditions: { found: Found<Measure>; make: (expr: SQL) => SQL }[];
  where: SQL[];
  order: SQL[];
  limit: number;
}

// Names of the statement's own subqueries: quoted with a ":", which no cube or table name may hold,
// so member SQL cannot mean one by accident.
const MAIN = '"metrics:main"';
const keysOf = (i: number) => `"metrics:keys:${i}"`;
const totalsOf = (i: number) => `"metrics:totals:${i}"`;

/**
 * The statement of a query whose joins repeat some cube's rows (Cube's "multiplied measures"):
 * - `metrics:main` groups the joined rows as usual, for the dimensions and every measure the
 *   repetition leaves right (those of other cubes; min, max, count distinct);
 * - per repeated cube, `metrics:keys:i` takes the distinct (dimensions, primary key) pairs of the
 *   joined rows that pass the filters, and `metrics:totals:i` aggregates that cube's own rows for
 *   those keys, so each of its rows counts once per group;
 * - the outer query joins them on the dimensions (nulls matching nulls), then applies conditions
 *   on measures, the order and the limit.
 * Throws unprocessable when a repeated cube declares no primary key.
 */
function fannedOutStatement(parts: FanOutParts): SQL {
  const { file, plan, from, groups, groupAliases, measureExpr, where, limit } = parts;
  const whereClause = where.length > 0 ? sql`\nwhere ${sql.join(where, sql` and `)}` : sql``;
  const groupBy =
    groups.length > 0 ? sql`\ngroup by ${sql.raw(groups.map((_, i) => i + 1).join(', '))}` : sql``;
  const dims = groups.map((g, i) => sql`${g} as ${sql.raw(`"d${i}"`)}`);

  // Each measure once, wherever it is computed; `m<j>` is its column there.
  const unique = new Map<string, Found<Measure>>();
  for (const { found } of parts.measures) unique.set(found.name, found);
  const columnOf: Map<string, SQL> = new Map();
  const mainColumns: SQL[] = [];
  const repeated = new Map<string, Found<Measure>[]>();
  let j = 0;
  for (const found of unique.values()) {
    if (repeatable(found.member) && plan.multiplied.has(found.cube.name))
      repeated.set(found.cube.name, [...(repeated.get(found.cube.name) ?? []), found]);
    else {
      mainColumns.push(sql`${measureExpr(found)} as ${sql.raw(`"m${j}"`)}`);
      columnOf.set(found.name, sql.raw(`${MAIN}."m${j}"`));
      j++;
    }
  }

  const ctes: SQL[] = [
    sql`${sql.raw(MAIN)} as (\nselect ${sql.join([...dims, ...mainColumns, sql`count(*) as "rows"`], sql`, `)}\nfrom ${from}${whereClause}${groupBy}\n)`,
  ];
  const joins: SQL[] = [];
  const sameGroup = (other: string) =>
    groups.length > 0
      ? sql.raw(groups.map((_, i) => `${MAIN}."d${i}" is not distinct from ${other}."d${i}"`).join(' and '))
      : sql`true`;
  [...repeated.entries()].forEach(([cubeName, found], i) => {
    const cubeIndex = file.cubes.findIndex((c) => c.name === cubeName);
    const cube = file.cubes[cubeIndex]!;
    const keys = Object.entries(cube.dimensions).filter(([, d]) => d.primary_key);
    const first = parts.measures.find((m) => m.found.cube.name === cubeName)!;
    if (keys.length === 0)
      throw unprocessable(
        first.path,
        `${first.found.name} is a ${first.found.member.type} over ${cubeName}, whose rows the join ${plan.multiplied.get(cubeName)} repeats; declare its primary key (a dimension with primary_key: true) at cubes[${cubeIndex}].dimensions so each row counts once`,
      );
    for (const m of found)
      if (
        /\{(?!CUBE\})[A-Za-z_][A-Za-z0-9_]*\}/.test(
          [m.member.sql ?? '', ...(m.member.filters ?? []).map((f) => f.sql)].join(' '),
        )
      )
        throw unprocessable(
          parts.measures.find((x) => x.found.name === m.name)!.path,
          `${m.name} refers to another cube, which its own rows cannot be counted by once the join ${plan.multiplied.get(cubeName)} repeats them`,
        );
    const keysName = keysOf(i);
    const totalsName = totalsOf(i);
    const keyColumns = keys.map(([, d], k) => sql.raw(`(${expand(d.sql, cube)}) as "k${k}"`));
    ctes.push(
      sql`${sql.raw(keysName)} as (\nselect distinct ${sql.join([...dims, ...keyColumns], sql`, `)}\nfrom ${from}${whereClause}\n)`,
    );
    const keyMatch = keys.map(([, d], k) => `(${expand(d.sql, cube)}) = ${keysName}."k${k}"`).join(' and ');
    const totals = found.map((m, k) => {
      columnOf.set(
        m.name,
        sql.raw(m.member.type === 'count' ? `coalesce(${totalsName}."t${k}", 0)` : `${totalsName}."t${k}"`),
      );
      return sql`${measureExpr(m)} as ${sql.raw(`"t${k}"`)}`;
    });
    ctes.push(
      sql`${sql.raw(totalsName)} as (\nselect ${sql.join(
        [...groups.map((_, g) => sql.raw(`${keysName}."d${g}"`)), ...totals],
        sql`, `,
      )}\nfrom ${sql.raw(keysName)}\njoin ${sql.raw(sourceOf(cube))} on ${sql.raw(keyMatch)}${groupBy}\n)`,
    );
    joins.push(sql`\nleft join ${sql.raw(totalsName)} on ${sameGroup(totalsName)}`);
  });

  const outputs = [
    ...groupAliases.map((name, i) => sql.raw(`${MAIN}."d${i}" as "${name}"`)),
    ...parts.queryMeasures.map((name) => sql`${columnOf.get(name)!} as ${sql.raw(`"${name}"`)}`),
  ];
  const conditions = parts.measureConditions.map(({ found, make }) => make(columnOf.get(found.name)!));
  return sql`with ${sql.join(ctes, sql`,\n`)}\nselect ${sql.join(outputs, sql`, `)}\nfrom ${sql.raw(MAIN)}${sql.join(joins, sql``)}${
    conditions.length > 0 ? sql`\nwhere ${sql.join(conditions, sql` and `)}` : sql``
  }\norder by ${sql.join(parts.order, sql`, `)}\nlimit ${limit + 1}`;
}

function titleFor({ cube, name, member }: Found<{ title?: string | undefined }>) {
  return `${cube.title ?? titleOf(cube.name)} ${member.title ?? titleOf(name.split('.')[1]!)}`;
}
