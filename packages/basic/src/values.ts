// Script values are plain JSON data: that is what lets the whole interpreter state serialize.
import { ScriptError } from './errors.js';

export type Value = null | number | string | boolean | Value[] | ValueObject;
export interface ValueObject {
  [key: string]: Value;
}

export interface Limits {
  /** Instructions executed per run() or resume() call. */
  maxSteps: number;
  /** Wall time per run() or resume() call, host calls included. */
  maxWallTimeMs: number;
  maxStringLength: number;
  /** Items in one list (or keys in one object). */
  maxListSize: number;
  /** Nested SUB / FUNCTION calls. */
  maxCallDepth: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxSteps: 10_000_000,
  maxWallTimeMs: 10_000,
  maxStringLength: 1_000_000,
  maxListSize: 100_000,
  maxCallDepth: 200,
};

/**
 * What expression code needs besides variables. The interpreter installs it before each
 * synchronous slice of execution, so concurrent runs in one process never see each other's limits.
 */
export interface Runtime {
  limits: Limits;
  now: () => Date;
}

export let runtime: Runtime = { limits: DEFAULT_LIMITS, now: () => new Date() };

export function enterRuntime(next: Runtime): void {
  runtime = next;
}

export function isList(v: Value): v is Value[] {
  return Array.isArray(v);
}

export function isObject(v: Value): v is ValueObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function typeName(v: Value): string {
  if (v === null) return 'Nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the text "${v.length > 30 ? v.slice(0, 30) + '…' : v}"`;
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  return `the number ${formatNumber(v)}`;
}

/** 0.1 + 0.2 prints as 0.3, as a BASIC user expects. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toPrecision(15)));
}

export function checkString(s: string): string {
  if (s.length > runtime.limits.maxStringLength) {
    throw new ScriptError(
      'STRING_LIMIT',
      `Text too long: ${s.length} characters, the limit is ${runtime.limits.maxStringLength}`,
    );
  }
  return s;
}

export function checkListSize(n: number): void {
  if (n > runtime.limits.maxListSize) {
    throw new ScriptError(
      'LIST_LIMIT',
      `List too large: ${n} items, the limit is ${runtime.limits.maxListSize}`,
    );
  }
}

export function checkNumber(n: number): number {
  if (n - n !== 0) {
    throw new ScriptError(
      'NUMBER_OVERFLOW',
      Number.isNaN(n) ? 'The result is not a number' : 'The number is too large',
    );
  }
  return n;
}

export function toText(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return checkString(toJsonText(v));
}

/** JSON text of a value; cycles print as "[circular]" and very deep nesting is cut off. */
export function toJsonText(v: Value): string {
  const seen = new Set<object>();
  const parts: string[] = [];
  const write = (x: Value, depth: number): void => {
    if (x === null || typeof x !== 'object') {
      // JSON has no NaN or Infinity: they read as null, as JSON.stringify writes them.
      parts.push(typeof x === 'number' ? (Number.isFinite(x) ? formatNumber(x) : 'null') : JSON.stringify(x));
      return;
    }
    if (seen.has(x)) {
      parts.push('"[circular]"');
      return;
    }
    if (depth > 64) {
      parts.push('"[…]"');
      return;
    }
    seen.add(x);
    if (Array.isArray(x)) {
      parts.push('[');
      x.forEach((item, i) => {
        if (i > 0) parts.push(',');
        write(item, depth + 1);
      });
      parts.push(']');
    } else {
      parts.push('{');
      let first = true;
      for (const key of Object.keys(x)) {
        if (!first) parts.push(',');
        first = false;
        parts.push(JSON.stringify(key), ':');
        write(x[key] ?? null, depth + 1);
      }
      parts.push('}');
    }
    seen.delete(x);
  };
  write(v, 0);
  return parts.join('');
}

/**
 * A value as plain JSON data, for what leaves the engine (a finished run's result and variables):
 * a script can build cycles (`a.f = a`), which callers could not serialize; they become "[circular]".
 */
export function plainValue(v: Value): Value {
  return v === null || typeof v !== 'object' ? v : (JSON.parse(toJsonText(v)) as Value);
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export function isNumericText(s: string): boolean {
  return NUMERIC.test(s.trim());
}

export function toNumber(v: Value, what = 'a number'): number {
  if (typeof v === 'number') return v;
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '') return 0;
    if (NUMERIC.test(t)) return Number(t);
  }
  throw new ScriptError('TYPE_ERROR', `Expected ${what} but got ${typeName(v)}`);
}

export function truthy(v: Value): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (v === null) return false;
  if (typeof v === 'string') return v !== '' && v.toLowerCase() !== 'false';
  if (Array.isArray(v)) return v.length > 0;
  return Object.keys(v).length > 0;
}

export function isEmpty(v: Value): boolean {
  if (v === null) return true;
  if (typeof v === 'string') return v.trim() === '';
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

/** Numbers compare as numbers (also against numeric text), everything else by its text. */
export function compare(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  // An unset variable counts as 0 next to a number.
  if (a === null && typeof b === 'number') return 0 < b ? -1 : 0 > b ? 1 : 0;
  if (b === null && typeof a === 'number') return a < 0 ? -1 : a > 0 ? 1 : 0;
  if (
    (typeof a === 'number' && typeof b === 'string' && isNumericText(b)) ||
    (typeof b === 'number' && typeof a === 'string' && isNumericText(a))
  ) {
    const x = toNumber(a);
    const y = toNumber(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'number' || typeof b === 'number') {
    throw new ScriptError('TYPE_ERROR', `Cannot compare ${typeName(a)} with ${typeName(b)} by order`);
  }
  if (typeof a === 'object' && a !== null) {
    throw new ScriptError('TYPE_ERROR', `Cannot compare ${typeName(a)} by order`);
  }
  if (typeof b === 'object' && b !== null) {
    throw new ScriptError('TYPE_ERROR', `Cannot compare ${typeName(b)} by order`);
  }
  const x = toText(a);
  const y = toText(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function equals(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a === 'object' || typeof b === 'object') {
    // Nothing equals the empty text; lists and objects compare by identity.
    if (a === null) return b === '';
    if (b === null) return a === '';
    return false;
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') return truthy(a) === truthy(b);
  return compare(a, b) === 0;
}

export function getField(obj: Value, key: string): Value {
  if (obj === null) return null;
  if (typeof obj === 'object' && !Array.isArray(obj)) {
    return Object.hasOwn(obj, key) ? (obj[key] ?? null) : null;
  }
  if (Array.isArray(obj) && key.toLowerCase() === 'length') return obj.length;
  throw new ScriptError('TYPE_ERROR', `Cannot read the field "${key}" of ${typeName(obj)}`);
}

export function setField(obj: Value, key: string, value: Value): void {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new ScriptError('TYPE_ERROR', `Cannot set the field "${key}" on ${typeName(obj)}`);
  }
  if (!Object.hasOwn(obj, key)) checkListSize(Object.keys(obj).length + 1);
  // defineProperty keeps "__proto__" an ordinary key instead of changing the prototype.
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

export function getIndex(container: Value, index: Value): Value {
  if (Array.isArray(container)) {
    const i = toIndex(index, container.length, false);
    return container[i] ?? null;
  }
  if (typeof container === 'string') {
    const i = toIndex(index, container.length, false);
    return container.charAt(i);
  }
  if (container === null) return null;
  if (typeof container === 'object') return getField(container, toText(index));
  throw new ScriptError('TYPE_ERROR', `Cannot index ${typeName(container)}`);
}

export function setIndex(container: Value, index: Value, value: Value): void {
  if (Array.isArray(container)) {
    const i = toIndex(index, container.length, true);
    if (i === container.length) checkListSize(i + 1);
    container[i] = value;
    return;
  }
  if (typeof container === 'object' && container !== null) {
    setField(container, toText(index), value);
    return;
  }
  throw new ScriptError('TYPE_ERROR', `Cannot set an item of ${typeName(container)}`);
}

function toIndex(index: Value, length: number, allowAppend: boolean): number {
  const i = toNumber(index, 'a list position');
  const max = allowAppend ? length : length - 1;
  if (!Number.isInteger(i) || i < 0 || i > max) {
    throw new ScriptError(
      'INDEX_OUT_OF_RANGE',
      `Position ${formatNumber(i)} is outside the list (positions start at 0; it has ${length} items)`,
    );
  }
  return i;
}

/**
 * Turns whatever a host returned into a script value: a fresh copy of plain data, so a script can
 * never reach a host object, its prototype or its functions.
 */
export function fromHost(input: unknown): Value {
  const seen = new Map<object, Value>();
  const convert = (x: unknown, depth: number): Value => {
    if (x === null || x === undefined) return null;
    if (typeof x === 'string') return checkString(x);
    if (typeof x === 'number') return Number.isFinite(x) ? x : null;
    if (typeof x === 'boolean') return x;
    if (typeof x === 'bigint') return Number(x);
    if (x instanceof Date) return Number.isNaN(x.getTime()) ? null : x.toISOString();
    if (typeof x !== 'object') return null;
    const known = seen.get(x);
    if (known !== undefined) return known;
    if (depth > 100) throw new ScriptError('LIST_LIMIT', 'The host returned data nested too deeply');
    if (Array.isArray(x)) {
      checkListSize(x.length);
      const out: Value[] = [];
      seen.set(x, out);
      for (const item of x) out.push(convert(item, depth + 1));
      return out;
    }
    const out: ValueObject = {};
    seen.set(x, out);
    const keys = Object.keys(x);
    checkListSize(keys.length);
    for (const key of keys) {
      const item = (x as Record<string, unknown>)[key];
      if (typeof item === 'function' || typeof item === 'symbol' || item === undefined) continue;
      setField(out, key, convert(item, depth + 1));
    }
    return out;
  };
  return convert(input, 0);
}
