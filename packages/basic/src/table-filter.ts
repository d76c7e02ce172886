// General Bots table filters ("name=John AND age>30"): parsed into a small tree that hosts turn
// into parameterized SQL and that FILTER evaluates in memory. Anything that is not `field op
// value` joined by AND / OR (and parentheses) is refused with a message saying where, so text
// that tries SQL never reaches a database.

export type FilterOp = '=' | '<>' | '<' | '>' | '<=' | '>=' | 'LIKE';
export type FilterValue = string | number | boolean | null;

export type FilterNode =
  | { kind: 'condition'; field: string; op: FilterOp; value: FilterValue }
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode };

export type FilterResult = { ok: true; filter: FilterNode | null } | { ok: false; message: string };

const MAX_FILTER_LENGTH = 2_000;
const MAX_CONDITIONS = 32;
const FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

type Tok =
  | { t: 'word'; text: string; at: number }
  | { t: 'text'; text: string; at: number }
  | { t: 'number'; value: number; at: number }
  | { t: 'op'; op: FilterOp; at: number }
  | { t: '(' | ')'; at: number };

class FilterError extends Error {}

function tokenize(source: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      out.push({ t: c, at: i });
      i++;
      continue;
    }
    const op = /^(<>|!=|<=|>=|==|=|<|>)/.exec(source.slice(i));
    if (op) {
      const text = op[0];
      out.push({ t: 'op', op: text === '!=' ? '<>' : text === '==' ? '=' : (text as FilterOp), at: i });
      i += text.length;
      continue;
    }
    if (c === "'" || c === '"') {
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= source.length)
          throw new FilterError(`the text starting at position ${i + 1} has no closing ${c}`);
        if (source[j] === c) {
          if (source[j + 1] === c) {
            text += c;
            j += 2;
            continue;
          }
          break;
        }
        text += source[j];
        j++;
      }
      out.push({ t: 'text', text, at: i });
      i = j + 1;
      continue;
    }
    const num = /^-?\d+(\.\d+)?(?![\w.@-])/.exec(source.slice(i));
    if (num) {
      out.push({ t: 'number', value: Number(num[0]), at: i });
      i += num[0].length;
      continue;
    }
    // A bare word value (John, ana@example.com, 2025-01-31) or a field name.
    const word = /^[\p{L}\p{N}_@.+:/-]+/u.exec(source.slice(i));
    if (word) {
      out.push({ t: 'word', text: word[0], at: i });
      i += word[0].length;
      continue;
    }
    throw new FilterError(`"${c}" at position ${i + 1} has no meaning in a filter`);
  }
  return out;
}

class FilterParser {
  private i = 0;
  conditions = 0;
  constructor(private readonly toks: Tok[]) {}

  private get tok(): Tok | undefined {
    return this.toks[this.i];
  }

  private isWord(word: string): boolean {
    const t = this.tok;
    return t?.t === 'word' && t.text.toUpperCase() === word;
  }

  parse(): FilterNode {
    const node = this.or();
    const t = this.tok;
    if (t) throw new FilterError(`expected AND or OR at position ${t.at + 1}`);
    return node;
  }

  private or(): FilterNode {
    let left = this.and();
    while (this.isWord('OR')) {
      this.i++;
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): FilterNode {
    let left = this.atom();
    while (this.isWord('AND')) {
      this.i++;
      left = { kind: 'and', left, right: this.atom() };
    }
    return left;
  }

  private atom(): FilterNode {
    const t = this.tok;
    if (!t) throw new FilterError('a condition is missing at the end');
    if (t.t === '(') {
      this.i++;
      const inner = this.or();
      if (this.tok?.t !== ')') throw new FilterError(`a "(" at position ${t.at + 1} is not closed`);
      this.i++;
      return inner;
    }
    if (t.t !== 'word' || !FIELD.test(t.text))
      throw new FilterError(`expected a column name at position ${t.at + 1} (letters, digits and _)`);
    this.i++;
    const opTok = this.tok;
    let op: FilterOp;
    if (opTok?.t === 'op') op = opTok.op;
    else if (opTok?.t === 'word' && opTok.text.toUpperCase() === 'LIKE') op = 'LIKE';
    else
      throw new FilterError(
        `expected an operator (=, <>, <, >, <=, >=, LIKE) after ${t.text}${opTok ? ` at position ${opTok.at + 1}` : ''}`,
      );
    this.i++;
    const v = this.tok;
    let value: FilterValue;
    if (!v) throw new FilterError(`a value is missing after ${t.text} ${op}`);
    if (v.t === 'text') value = v.text;
    else if (v.t === 'number') value = v.value;
    else if (v.t === 'word') {
      const upper = v.text.toUpperCase();
      if (upper === 'AND' || upper === 'OR')
        throw new FilterError(`a value is missing after ${t.text} ${op}`);
      value = upper === 'TRUE' ? true : upper === 'FALSE' ? false : upper === 'NULL' ? null : v.text;
    } else throw new FilterError(`expected a value after ${t.text} ${op} at position ${v.at + 1}`);
    if (op === 'LIKE' && typeof value !== 'string')
      throw new FilterError(`LIKE compares text: quote the pattern`);
    if (value === null && op !== '=' && op !== '<>') throw new FilterError(`only = and <> compare with NULL`);
    this.i++;
    if (++this.conditions > MAX_CONDITIONS)
      throw new FilterError(`a filter has at most ${MAX_CONDITIONS} conditions`);
    return { kind: 'condition', field: t.text, op, value };
  }
}

/** Parses a filter; empty text selects every row (filter null). */
export function parseTableFilter(source: string): FilterResult {
  if (typeof source !== 'string') return { ok: false, message: 'The filter must be text' };
  if (source.length > MAX_FILTER_LENGTH)
    return { ok: false, message: `The filter is longer than ${MAX_FILTER_LENGTH} characters` };
  if (!source.trim()) return { ok: true, filter: null };
  try {
    return { ok: true, filter: new FilterParser(tokenize(source)).parse() };
  } catch (e) {
    if (!(e instanceof FilterError)) throw e;
    return {
      ok: false,
      message: `The filter "${source.length > 60 ? `${source.slice(0, 60)}…` : source}" is not valid: ${e.message}. Write column=value conditions joined by AND / OR`,
    };
  }
}

const NUMERIC = /^\s*-?\d+(\.\d+)?\s*$/;

/** A stored value as a number, when it is one (or numeric text, as CSV imports store numbers). */
export function numericOf(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v);
  return null;
}

function likePattern(pattern: string): RegExp {
  const body = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  return new RegExp(`^${body}$`, 'is');
}

function conditionHolds(row: Record<string, unknown>, c: FilterNode & { kind: 'condition' }): boolean {
  const raw = Object.hasOwn(row, c.field) ? row[c.field] : null;
  if (c.value === null) {
    const missing = raw === null || raw === undefined;
    return c.op === '=' ? missing : !missing;
  }
  if (raw === null || raw === undefined) return false;
  if (typeof c.value === 'boolean') {
    const equal = raw === c.value;
    return c.op === '=' ? equal : c.op === '<>' ? !equal : false;
  }
  if (typeof c.value === 'number') {
    const n = numericOf(raw);
    if (n === null) return false;
    return compareWith(c.op, n - c.value);
  }
  const text = typeof raw === 'object' ? JSON.stringify(raw) : String(raw);
  if (c.op === 'LIKE') return likePattern(c.value).test(text);
  if (c.op === '=' || c.op === '<>') {
    const equal = text.toLowerCase() === c.value.toLowerCase();
    return c.op === '=' ? equal : !equal;
  }
  return compareWith(c.op, text < c.value ? -1 : text > c.value ? 1 : 0);
}

function compareWith(op: FilterOp, diff: number): boolean {
  switch (op) {
    case '=':
      return diff === 0;
    case '<>':
      return diff !== 0;
    case '<':
      return diff < 0;
    case '>':
      return diff > 0;
    case '<=':
      return diff <= 0;
    case '>=':
      return diff >= 0;
    default:
      return false;
  }
}

/** Does a row (an object) pass the filter? Hosts' SQL follows the same rules. */
export function matchesFilter(row: unknown, filter: FilterNode | null): boolean {
  if (filter === null) return true;
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return false;
  const r = row as Record<string, unknown>;
  switch (filter.kind) {
    case 'and':
      return matchesFilter(r, filter.left) && matchesFilter(r, filter.right);
    case 'or':
      return matchesFilter(r, filter.left) || matchesFilter(r, filter.right);
    default:
      return conditionHolds(r, filter);
  }
}

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

/**
 * A bot table's name, as General Bots scripts write it ("leads" or "leads.csv"): letters, digits,
 * `_` and `-`, starting with a letter. Answers the name to store under, or an error message.
 */
export function tableName(name: string): { ok: true; name: string } | { ok: false; message: string } {
  const plain = typeof name === 'string' ? name.trim().replace(/\.(csv|xlsx)$/i, '') : '';
  if (TABLE_NAME.test(plain)) return { ok: true, name: plain.toLowerCase() };
  const shown = typeof name === 'string' ? (name.length > 60 ? `${name.slice(0, 60)}…` : name) : String(name);
  return {
    ok: false,
    message: `"${shown}" is not a table name: use letters, digits, _ and - (at most 63, starting with a letter)`,
  };
}
