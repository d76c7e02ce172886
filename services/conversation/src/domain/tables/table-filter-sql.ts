import type { FilterNode, FilterOp } from '@conduit/basic';
import { type SQL, sql } from 'drizzle-orm';
import { botTableRows } from '../../db/bot-tables-schema.js';

// A parsed table filter (@conduit/basic's parseTableFilter) as SQL over the rows' JSONB. Column
// names and values are bind parameters; only the operators, from a closed list, are SQL text. The
// rules are those of the in-memory FILTER (matchesFilter): numbers compare as numbers (numeric text
// too, as CSV imports store it), text = / <> / LIKE ignore case, a missing column matches nothing.

const ORDER_OPS: Record<Exclude<FilterOp, 'LIKE'>, SQL> = {
  '=': sql.raw('='),
  '<>': sql.raw('<>'),
  '<': sql.raw('<'),
  '>': sql.raw('>'),
  '<=': sql.raw('<='),
  '>=': sql.raw('>='),
};

const NUMERIC_TEXT = '^\\s*-?\\d+(\\.\\d+)?\\s*$';

function condition(node: FilterNode & { kind: 'condition' }): SQL {
  const field = sql`${botTableRows.data} -> ${node.field}::text`;
  const text = sql`(${botTableRows.data} ->> ${node.field}::text)`;
  const { op, value } = node;
  if (value === null) {
    const missing = sql`(${field} is null or jsonb_typeof(${field}) = 'null')`;
    return op === '=' ? missing : sql`not ${missing}`;
  }
  if (typeof value === 'boolean') {
    if (op !== '=' && op !== '<>') return sql`false`;
    return sql`(${field} ${ORDER_OPS[op]} to_jsonb(${value}::boolean))`;
  }
  if (typeof value === 'number') {
    if (op === 'LIKE') return sql`false`;
    // CASE decides before the cast runs, so text that is not a number is never cast.
    const numeric = sql`(case when jsonb_typeof(${field}) = 'number' then ${text}::numeric
      when jsonb_typeof(${field}) = 'string' and ${text} ~ ${NUMERIC_TEXT} then trim(${text})::numeric end)`;
    return sql`(${numeric} ${ORDER_OPS[op]} ${value}::numeric)`;
  }
  if (op === 'LIKE') return sql`(${text} ilike ${value}::text)`;
  if (op === '=' || op === '<>') return sql`(lower(${text}) ${ORDER_OPS[op]} lower(${value}::text))`;
  return sql`((${text} collate "C") ${ORDER_OPS[op]} (${value}::text collate "C"))`;
}

/** The WHERE condition of a filter; a null filter selects every row. */
export function filterSql(node: FilterNode | null): SQL {
  if (node === null) return sql`true`;
  if (node.kind === 'condition') return condition(node);
  const joiner = node.kind === 'and' ? sql` and ` : sql` or `;
  return sql`(${filterSql(node.left)}${joiner}${filterSql(node.right)})`;
}
