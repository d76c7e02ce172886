// Built-in functions. Pure, synchronous, and checked against the limits like any other operation.
import { DATA_VERBS, joinLists } from './data-verbs.js';
import { ScriptError } from './errors.js';
import {
  checkListSize,
  checkNumber,
  checkString,
  isEmpty,
  isNumericText,
  runtime,
  toNumber,
  toText,
  typeName,
  type Value,
} from './values.js';

export interface Builtin {
  min: number;
  max: number;
  fn: (args: Value[]) => Value;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function formatDateTime(d: Date, withTime: boolean): string {
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return withTime ? `${date} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` : date;
}

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?/;

function parseDate(v: Value): Date | null {
  if (typeof v !== 'string') return null;
  const m = DATE_TEXT.exec(v.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  const date = new Date(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h ?? 0),
    Number(mi ?? 0),
    Number(s ?? 0),
  );
  return Number.isNaN(date.getTime()) ? null : date;
}

export function roundTo(x: number, digits: number): number {
  // Beyond what a double holds, rounding changes nothing (or leaves nothing); 10 ** digits would
  // overflow to Infinity or underflow to 0 and turn the result into NaN.
  if (digits > 15) return x;
  if (digits < -308) return 0;
  const f = 10 ** digits;
  return checkNumber((Math.sign(x) * Math.round(Math.abs(x) * f + Number.EPSILON * f)) / f);
}

function formatNumberPattern(n: number, pattern: string): string {
  const first = pattern.search(/[0#]/);
  if (first === -1) return pattern;
  let last = first;
  for (let i = first; i < pattern.length; i++) if (/[0#.,]/.test(pattern[i] as string)) last = i;
  const prefix = pattern.slice(0, first);
  let suffix = pattern.slice(last + 1);
  const core = pattern.slice(first, last + 1);
  const [intPart = '', decPart = ''] = core.split('.');
  const decimals = decPart.replace(/[^0#]/g, '').length;
  const minInt = intPart.replace(/[^0]/g, '').length;
  const grouping = intPart.includes(',');
  let value = n;
  if (suffix.includes('%')) value *= 100;
  let text = Math.abs(roundTo(value, decimals)).toFixed(decimals);
  let [whole = '', frac = ''] = text.split('.');
  whole = whole.padStart(minInt, '0');
  if (minInt === 0 && whole === '0') whole = '';
  if (grouping) whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  // Optional decimals ("#") drop trailing zeros beyond the required ones ("0").
  const required = decPart.replace(/[^0]/g, '').length;
  while (frac.length > required && frac.endsWith('0')) frac = frac.slice(0, -1);
  text = frac ? `${whole}.${frac}` : whole || '0';
  suffix = suffix.replace(/%/g, '%');
  return `${value < 0 && roundTo(value, decimals) !== 0 ? '-' : ''}${prefix}${text}${suffix}`;
}

const DATE_TOKENS = /yyyy|yy|MM|M|dd|d|HH|H|hh|h|mm|ss|tt/g;

function formatDatePattern(d: Date, pattern: string): string {
  return pattern.replace(DATE_TOKENS, (t) => {
    switch (t) {
      case 'yyyy':
        return String(d.getFullYear());
      case 'yy':
        return pad(d.getFullYear() % 100);
      case 'MM':
        return pad(d.getMonth() + 1);
      case 'M':
        return String(d.getMonth() + 1);
      case 'dd':
        return pad(d.getDate());
      case 'd':
        return String(d.getDate());
      case 'HH':
        return pad(d.getHours());
      case 'H':
        return String(d.getHours());
      case 'hh':
        return pad(d.getHours() % 12 || 12);
      case 'h':
        return String(d.getHours() % 12 || 12);
      case 'mm':
        return pad(d.getMinutes());
      case 'ss':
        return pad(d.getSeconds());
      default:
        return d.getHours() < 12 ? 'AM' : 'PM';
    }
  });
}

function format(args: Value[]): Value {
  const [value = null, patternValue = null] = args;
  if (patternValue === null) return toText(value);
  const pattern = toText(patternValue);
  const date = parseDate(value);
  if (date && /yy|dd|HH|hh|mm|MM/.test(pattern)) return checkString(formatDatePattern(date, pattern));
  if (typeof value === 'number' || (typeof value === 'string' && isNumericText(value))) {
    return checkString(formatNumberPattern(toNumber(value), pattern));
  }
  if (value === null && /[0#]/.test(pattern)) return formatNumberPattern(0, pattern);
  throw new ScriptError('ARGUMENT_ERROR', `FORMAT cannot apply "${pattern}" to ${typeName(value)}`);
}

function text(v: Value | undefined): string {
  return toText(v ?? null);
}

function int(v: Value | undefined, what: string): number {
  const n = toNumber(v ?? null, what);
  return Math.trunc(n);
}

function numbersOf(args: Value[], name: string): number[] {
  const values = args.length === 1 && Array.isArray(args[0]) ? (args[0] as Value[]) : args;
  if (values.length === 0) throw new ScriptError('ARGUMENT_ERROR', `${name} needs at least one number`);
  return values.map((v) => toNumber(v, `numbers in ${name}`));
}

function left(s: string, n: number): string {
  return n <= 0 ? '' : s.slice(0, n);
}

export const BUILTINS: Record<string, Builtin> = {
  LEN: {
    min: 1,
    max: 1,
    fn: ([v = null]) => {
      if (Array.isArray(v)) return v.length;
      if (v !== null && typeof v === 'object') return Object.keys(v).length;
      return toText(v).length;
    },
  },
  UPPER: { min: 1, max: 1, fn: ([v]) => text(v).toUpperCase() },
  LOWER: { min: 1, max: 1, fn: ([v]) => text(v).toLowerCase() },
  TRIM: { min: 1, max: 1, fn: ([v]) => text(v).trim() },
  LEFT: { min: 2, max: 2, fn: ([s, n]) => left(text(s), int(n, 'a length in LEFT')) },
  RIGHT: {
    min: 2,
    max: 2,
    fn: ([s, n]) => {
      const str = text(s);
      const k = int(n, 'a length in RIGHT');
      return k <= 0 ? '' : str.slice(Math.max(0, str.length - k));
    },
  },
  MID: {
    min: 2,
    max: 3,
    fn: ([s, start, length]) => {
      const str = text(s);
      const from = int(start, 'a start position in MID');
      if (from < 1) throw new ScriptError('ARGUMENT_ERROR', 'MID positions start at 1');
      if (length === undefined) return str.slice(from - 1);
      const k = int(length, 'a length in MID');
      return k <= 0 ? '' : str.slice(from - 1, from - 1 + k);
    },
  },
  INSTR: {
    min: 2,
    max: 3,
    fn: (args) => {
      const [start, hay, needle] = args.length === 3 ? args : [1, args[0], args[1]];
      const from = int(start, 'a start position in INSTR');
      if (from < 1) throw new ScriptError('ARGUMENT_ERROR', 'INSTR positions start at 1');
      return text(hay).indexOf(text(needle), from - 1) + 1;
    },
  },
  REPLACE: {
    min: 3,
    max: 3,
    fn: ([s, find, repl]) => {
      const f = text(find);
      if (f === '') return text(s);
      return checkString(text(s).split(f).join(text(repl)));
    },
  },
  SPLIT: {
    min: 1,
    max: 2,
    fn: ([s, sep]) => {
      const str = text(s);
      if (str === '') return [];
      const parts = str.split(sep === undefined ? ' ' : text(sep));
      checkListSize(parts.length);
      return parts;
    },
  },
  JOIN: {
    min: 1,
    max: 3,
    fn: ([list, sep, key]) => {
      if (key !== undefined) return joinLists(list, sep, key);
      if (!Array.isArray(list))
        throw new ScriptError('ARGUMENT_ERROR', `JOIN needs a list, got ${typeName(list ?? null)}`);
      return checkString(list.map((v) => toText(v)).join(sep === undefined ? ' ' : text(sep)));
    },
  },
  VAL: {
    min: 1,
    max: 1,
    fn: ([v]) => {
      if (typeof v === 'number') return v;
      const m = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(text(v));
      return m ? checkNumber(Number(m[0])) : 0;
    },
  },
  STR: { min: 1, max: 1, fn: ([v]) => text(v) },
  INT: { min: 1, max: 1, fn: ([v]) => Math.floor(toNumber(v ?? null, 'a number in INT')) },
  ROUND: {
    min: 1,
    max: 2,
    fn: ([v, digits]) =>
      roundTo(
        toNumber(v ?? null, 'a number in ROUND'),
        digits === undefined ? 0 : int(digits, 'digits in ROUND'),
      ),
  },
  ABS: { min: 1, max: 1, fn: ([v]) => Math.abs(toNumber(v ?? null, 'a number in ABS')) },
  MIN: { min: 1, max: Number.POSITIVE_INFINITY, fn: (args) => Math.min(...numbersOf(args, 'MIN')) },
  MAX: { min: 1, max: Number.POSITIVE_INFINITY, fn: (args) => Math.max(...numbersOf(args, 'MAX')) },
  NOW: { min: 0, max: 0, fn: () => formatDateTime(runtime.now(), true) },
  TODAY: { min: 0, max: 0, fn: () => formatDateTime(runtime.now(), false) },
  FORMAT: { min: 1, max: 2, fn: format },
  ISEMPTY: { min: 1, max: 1, fn: ([v]) => isEmpty(v ?? null) },
  ISNUMBER: {
    min: 1,
    max: 1,
    fn: ([v]) => typeof v === 'number' || (typeof v === 'string' && isNumericText(v)),
  },
  ...DATA_VERBS,
};

BUILTINS.UCASE = BUILTINS.UPPER as Builtin;
BUILTINS.LCASE = BUILTINS.LOWER as Builtin;
