// General Bots' in-memory data verbs over lists of rows (objects), as FIND on a table answers
// them: FILTER, AGGREGATE, GROUP BY, JOIN (of two lists), PIVOT, MAP, FILL, FIRST, LAST.
import type { Builtin } from './builtins.js';
import { ScriptError } from './errors.js';
import { matchesFilter, numericOf, parseTableFilter } from './table-filter.js';
import {
  checkListSize,
  isEmpty,
  isObject,
  toText,
  typeName,
  type Value,
  type ValueObject,
} from './values.js';

function rowsOf(v: Value | undefined, verb: string): Value[] {
  if (!Array.isArray(v))
    throw new ScriptError('ARGUMENT_ERROR', `${verb} needs a list of rows, got ${typeName(v ?? null)}`);
  return v;
}

function fieldOf(row: Value, field: string): Value {
  return isObject(row) && Object.hasOwn(row, field) ? (row[field] as Value) : null;
}

function textArg(v: Value | undefined, what: string, verb: string): string {
  if (typeof v !== 'string' || !v.trim())
    throw new ScriptError('ARGUMENT_ERROR', `${verb} needs ${what} as text, got ${typeName(v ?? null)}`);
  return v.trim();
}

const AGGREGATES = ['SUM', 'AVG', 'COUNT', 'MIN', 'MAX'] as const;

function aggregate(op: string, rows: Value[], field: string | null): Value {
  if (op === 'COUNT')
    return field === null ? rows.length : rows.filter((r) => !isEmpty(fieldOf(r, field))).length;
  if (field === null) throw new ScriptError('ARGUMENT_ERROR', `AGGREGATE "${op}" needs the column to add up`);
  const numbers = rows.map((r) => numericOf(fieldOf(r, field))).filter((n): n is number => n !== null);
  if (numbers.length === 0) return op === 'SUM' ? 0 : null;
  switch (op) {
    case 'SUM':
      return numbers.reduce((a, b) => a + b, 0);
    case 'AVG':
      return numbers.reduce((a, b) => a + b, 0) / numbers.length;
    case 'MIN':
      return Math.min(...numbers);
    default:
      return Math.max(...numbers);
  }
}

function joinRows(left: Value[], right: Value[], key: string): Value[] {
  const byKey = new Map<string, ValueObject[]>();
  for (const r of right) {
    if (!isObject(r)) continue;
    const k = toText(fieldOf(r, key));
    byKey.set(k, [...(byKey.get(k) ?? []), r]);
  }
  const out: Value[] = [];
  for (const l of left) {
    if (!isObject(l)) continue;
    for (const r of byKey.get(toText(fieldOf(l, key))) ?? []) {
      out.push({ ...l, ...r });
      checkListSize(out.length);
    }
  }
  return out;
}

export const DATA_VERBS: Record<string, Builtin> = {
  FILTER: {
    min: 2,
    max: 2,
    fn: ([list, filter]) => {
      const parsed = parseTableFilter(textArg(filter ?? null, 'a filter', 'FILTER'));
      if (!parsed.ok) throw new ScriptError('ARGUMENT_ERROR', parsed.message);
      return rowsOf(list, 'FILTER').filter((row) => matchesFilter(row, parsed.filter));
    },
  },
  AGGREGATE: {
    min: 2,
    max: 3,
    // AGGREGATE "SUM", rows, "amount" (General Bots' order); rows first is accepted too.
    fn: (args) => {
      const [a, b, field] = args;
      const [opArg, list] = Array.isArray(a) ? [b, a] : [a, b];
      const op = textArg(
        opArg ?? null,
        'the operation (SUM, AVG, COUNT, MIN or MAX)',
        'AGGREGATE',
      ).toUpperCase();
      if (!(AGGREGATES as readonly string[]).includes(op))
        throw new ScriptError('ARGUMENT_ERROR', `AGGREGATE knows ${AGGREGATES.join(', ')}, not "${op}"`);
      return aggregate(
        op,
        rowsOf(list, 'AGGREGATE'),
        field === undefined ? null : textArg(field, 'a column', 'AGGREGATE'),
      );
    },
  },
  'GROUP BY': {
    min: 2,
    max: 2,
    // An object: each value of the column (as text) to the rows that have it, in first-seen order.
    fn: ([list, field]) => {
      const column = textArg(field ?? null, 'a column', 'GROUP BY');
      const groups: ValueObject = {};
      for (const row of rowsOf(list, 'GROUP BY')) {
        const k = toText(fieldOf(row, column));
        if (!Object.hasOwn(groups, k)) groups[k] = [];
        (groups[k] as Value[]).push(row);
      }
      checkListSize(Object.keys(groups).length);
      return groups;
    },
  },
  PIVOT: {
    min: 3,
    max: 4,
    // PIVOT rows, "region", "month", "amount": a row per region with a column per month (sums);
    // without a value column, counts.
    fn: ([list, rowField, columnField, valueField]) => {
      const r = textArg(rowField ?? null, 'the row column', 'PIVOT');
      const c = textArg(columnField ?? null, 'the column to spread', 'PIVOT');
      const v = valueField === undefined ? null : textArg(valueField, 'the value column', 'PIVOT');
      const out = new Map<string, ValueObject>();
      for (const row of rowsOf(list, 'PIVOT')) {
        const rk = toText(fieldOf(row, r));
        const ck = toText(fieldOf(row, c));
        const target = out.get(rk) ?? { [r]: fieldOf(row, r) };
        out.set(rk, target);
        const add = v === null ? 1 : (numericOf(fieldOf(row, v)) ?? 0);
        target[ck] = ((target[ck] as number | undefined) ?? 0) + add;
      }
      checkListSize(out.size);
      return [...out.values()];
    },
  },
  MAP: {
    min: 2,
    max: 2,
    // MAP rows, "name->customer, total": keeps the listed columns, renaming those with "->".
    fn: ([list, spec]) => {
      const pairs = textArg(spec ?? null, 'the columns ("old->new, other")', 'MAP')
        .split(',')
        .map((part) => part.split('->').map((s) => s.trim()))
        .map(([from = '', to]) => [from, to || from] as const)
        .filter(([from]) => from);
      return rowsOf(list, 'MAP').map((row) => {
        const mapped: ValueObject = {};
        for (const [from, to] of pairs) mapped[to] = fieldOf(row, from);
        return mapped;
      });
    },
  },
  FILL: {
    min: 2,
    max: 2,
    // FILL rows, {"country": "PT"}: empty or missing columns take the default.
    fn: ([list, defaults]) => {
      if (!isObject(defaults ?? null))
        throw new ScriptError(
          'ARGUMENT_ERROR',
          `FILL needs an object of defaults, got ${typeName(defaults ?? null)}`,
        );
      const d = defaults as ValueObject;
      return rowsOf(list, 'FILL').map((row) => {
        if (!isObject(row)) return row;
        const filled: ValueObject = { ...row };
        for (const key of Object.keys(d)) if (isEmpty(fieldOf(row, key))) filled[key] = d[key] as Value;
        return filled;
      });
    },
  },
  FIRST: {
    min: 1,
    max: 1,
    // A list's first item, or a text's first word, as General Bots' FIRST does.
    fn: ([v = null]) => (Array.isArray(v) ? (v[0] ?? null) : (toText(v).trim().split(/\s+/)[0] ?? '')),
  },
  LAST: {
    min: 1,
    max: 1,
    fn: ([v = null]) =>
      Array.isArray(v) ? (v[v.length - 1] ?? null) : (toText(v).trim().split(/\s+/).pop() ?? ''),
  },
};

/** JOIN of two lists of rows on a key column (the 3-argument form; JOIN list, sep stays text). */
export function joinLists(left: Value | undefined, right: Value | undefined, key: Value | undefined): Value {
  return joinRows(
    rowsOf(left, 'JOIN'),
    rowsOf(right, 'JOIN'),
    textArg(key ?? null, 'the key column', 'JOIN'),
  );
}
