// Arithmetic and text operators, with a fast path for the common all-numbers case.
import { ScriptError } from '../errors.js';
import {
  checkNumber,
  checkString,
  compare,
  equals,
  toNumber,
  toText,
  truthy,
  type Value,
} from '../values.js';

/** "+" adds numbers and joins text: if either side is text (or a list / object), it joins. */
export function add(a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') return checkNumber(a + b);
  if (typeof a === 'string' || typeof b === 'string' || typeof a === 'object' || typeof b === 'object') {
    if (a === null && typeof b === 'number') return b;
    if (b === null && typeof a === 'number') return a;
    if (a === null && b === null) return 0;
    return concat(a, b);
  }
  return checkNumber(toNumber(a) + toNumber(b));
}

export function concat(a: Value, b: Value): string {
  const s = toText(a) + toText(b);
  return s.length > 1024 ? checkString(s) : s;
}

export function subtract(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return checkNumber(a - b);
  return checkNumber(toNumber(a, 'a number before "-"') - toNumber(b, 'a number after "-"'));
}

export function multiply(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return checkNumber(a * b);
  return checkNumber(toNumber(a, 'a number before "*"') * toNumber(b, 'a number after "*"'));
}

export function divide(a: Value, b: Value): number {
  const y = typeof b === 'number' ? b : toNumber(b, 'a number after "/"');
  if (y === 0) throw new ScriptError('DIVISION_BY_ZERO', 'Division by zero');
  return checkNumber((typeof a === 'number' ? a : toNumber(a, 'a number before "/"')) / y);
}

export function intDivide(a: Value, b: Value): number {
  const y = toNumber(b, 'a number after "\\"');
  if (y === 0) throw new ScriptError('DIVISION_BY_ZERO', 'Division by zero');
  return checkNumber(Math.trunc(toNumber(a, 'a number before "\\"') / y));
}

export function modulo(a: Value, b: Value): number {
  const y = typeof b === 'number' ? b : toNumber(b, 'a number after MOD');
  if (y === 0) throw new ScriptError('DIVISION_BY_ZERO', 'MOD by zero');
  return checkNumber((typeof a === 'number' ? a : toNumber(a, 'a number before MOD')) % y);
}

export function power(a: Value, b: Value): number {
  return checkNumber(toNumber(a, 'a number before "^"') ** toNumber(b, 'a number after "^"'));
}

export function negate(a: Value): number {
  return typeof a === 'number' ? -a : -toNumber(a, 'a number after "-"');
}

export const BINARY: Record<string, (a: Value, b: Value) => Value> = {
  '+': add,
  '&': concat,
  '-': subtract,
  '*': multiply,
  '/': divide,
  '\\': intDivide,
  MOD: modulo,
  '^': power,
  '=': (a, b) => equals(a, b),
  '<>': (a, b) => !equals(a, b),
  '<': (a, b) => compare(a, b) < 0,
  '>': (a, b) => compare(a, b) > 0,
  '<=': (a, b) => compare(a, b) <= 0,
  '>=': (a, b) => compare(a, b) >= 0,
  AND: (a, b) => truthy(a) && truthy(b),
  OR: (a, b) => truthy(a) || truthy(b),
  XOR: (a, b) => truthy(a) !== truthy(b),
};
