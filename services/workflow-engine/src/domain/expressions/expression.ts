import { AsyncLocalStorage } from 'node:async_hooks';
import jsonata from 'jsonata';

/**
 * `{{ ... }}` in node configuration, evaluated with JSONata: a query language with its own
 * interpreter, so user text is never run as JavaScript. Each evaluation has a budget (wall time,
 * nesting, size of what it builds); JSONata itself refuses inherited properties (`constructor`,
 * `__proto__`) and calling anything that is not one of its functions.
 */

export const MAX_EXPRESSION_LENGTH = 4000;
const MAX_DEPTH = 200;
/** Largest string or JSON an expression may produce (and so hold in memory at once). */
export const MAX_RESULT_BYTES = 1024 * 1024;

/** An expression that does not parse, overruns its budget or fails: the node fails with this. */
export class ExpressionError extends Error {
  constructor(
    readonly expression: string,
    message: string,
  ) {
    super(
      `Expression {{ ${expression.length > 80 ? `${expression.slice(0, 80)}…` : expression} }}: ${message}`,
    );
    this.name = 'ExpressionError';
  }
}

/** What an expression sees besides the current item (its context, `$`): the run's data. */
export interface ExpressionScope {
  /** The current item, also the expression's context. */
  item: unknown;
  /** All items the node received. */
  items: unknown[];
  /** Earlier nodes' outputs by name: `$node.Fetch.json` (first item), `$node.Fetch.items`. */
  node: Record<string, { json: unknown; items: unknown[] }>;
  /** What started the execution (its first item). */
  trigger: unknown;
  /** `resumeUrl`: where a call resumes this execution's webhook wait (give it to whoever answers). */
  execution: { id: string; startedAt: string; resumeUrl?: string };
}

const TEMPLATE = /\{\{([\s\S]*?)\}\}/g;

/** Does the value hold `{{ ... }}` anywhere (string, or inside arrays and objects)? */
export function hasExpression(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (Array.isArray(value)) return value.some(hasExpression);
  if (value && typeof value === 'object') return Object.values(value).some(hasExpression);
  return false;
}

const compiled = new Map<string, jsonata.Expression>();

/** Parses (and caches) one expression; throws ExpressionError for one that does not parse. */
export function parseExpression(text: string): jsonata.Expression {
  const cached = compiled.get(text);
  if (cached) return cached;
  if (text.length > MAX_EXPRESSION_LENGTH)
    throw new ExpressionError(text, `longer than ${MAX_EXPRESSION_LENGTH} characters`);
  let expression: jsonata.Expression;
  try {
    expression = jsonata(text);
  } catch (error) {
    throw new ExpressionError(text, messageOf(error));
  }
  if (astDepth(expression.ast()) > MAX_DEPTH)
    throw new ExpressionError(text, `nests deeper than ${MAX_DEPTH} levels`);
  installBudget(expression);
  if (compiled.size > 2000) compiled.delete(compiled.keys().next().value as string);
  compiled.set(text, expression);
  return expression;
}

/** How deeply the parsed expression's nodes nest (iteratively: the tree may be deep). */
function astDepth(root: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (Array.isArray(value)) {
      for (const item of value) stack.push([item, depth]);
    } else if (value && typeof value === 'object') {
      deepest = Math.max(deepest, depth);
      if (deepest > MAX_DEPTH) return deepest;
      for (const item of Object.values(value)) stack.push([item, depth + 1]);
    }
  }
  return deepest;
}

/** Every `{{ }}` in a value, for checking that they parse when a workflow is saved. */
export function expressionsIn(value: unknown, found: string[] = []): string[] {
  if (typeof value === 'string') for (const match of value.matchAll(TEMPLATE)) found.push(match[1]!.trim());
  else if (Array.isArray(value)) for (const item of value) expressionsIn(item, found);
  else if (value && typeof value === 'object')
    for (const item of Object.values(value)) expressionsIn(item, found);
  return found;
}

function messageOf(error: unknown): string {
  if (error instanceof RangeError) return 'is nested too deeply';
  if (error && typeof error === 'object' && 'message' in error) return String(error.message);
  return String(error);
}

const sizeOf = (value: unknown) => {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.length * 8;
  return 0;
};

/** The budget of the evaluation in progress; out of reach of the expression itself. */
interface Budget {
  text: string;
  started: number;
  timeoutMs: number;
  depth: number;
}
const budgets = new AsyncLocalStorage<Budget>();

function checkBudget(budget: Budget | undefined) {
  if (!budget) return;
  if (budget.depth > MAX_DEPTH)
    throw new ExpressionError(budget.text, `nests deeper than ${MAX_DEPTH} levels`);
  if (Date.now() - budget.started > budget.timeoutMs)
    throw new ExpressionError(budget.text, `ran longer than ${budget.timeoutMs} ms`);
}

type Environment = { isParallelCall?: boolean };

/**
 * The hooks JSONata calls around every step of evaluation (its documented way to time-box an
 * expression), installed once per parsed expression. Time is checked on every step, depth
 * outside parallel calls (JSONata's own rule).
 */
function installBudget(expression: jsonata.Expression) {
  const assign = expression.assign as unknown as (name: symbol, value: unknown) => void;
  assign(Symbol.for('jsonata.__evaluate_entry'), (_e: unknown, _input: unknown, environment: Environment) => {
    const budget = budgets.getStore();
    if (budget && !environment?.isParallelCall) budget.depth++;
    checkBudget(budget);
  });
  assign(
    Symbol.for('jsonata.__evaluate_exit'),
    (_e: unknown, _input: unknown, environment: Environment, result: unknown) => {
      const budget = budgets.getStore();
      if (budget && !environment?.isParallelCall) budget.depth--;
      checkBudget(budget);
      if (budget && sizeOf(result) > MAX_RESULT_BYTES)
        throw new ExpressionError(budget.text, `built a value larger than ${MAX_RESULT_BYTES} bytes`);
    },
  );
}

async function evaluateOne(text: string, scope: ExpressionScope, timeoutMs: number): Promise<unknown> {
  const expression = parseExpression(text);
  const bindings: Record<string, unknown> = {
    item: scope.item,
    items: scope.items,
    node: scope.node,
    trigger: scope.trigger,
    execution: scope.execution,
  };
  const budget: Budget = { text, started: Date.now(), timeoutMs, depth: 0 };
  let result: unknown;
  try {
    result = await budgets.run(budget, () => expression.evaluate(scope.item, bindings));
  } catch (error) {
    if (error instanceof ExpressionError) throw error;
    throw new ExpressionError(text, messageOf(error));
  }
  // JSONata answers sequences as arrays with extra flags, and functions as objects: keep JSON only.
  if (result === undefined) return null;
  let json: string | undefined;
  try {
    json = JSON.stringify(result);
  } catch (error) {
    throw new ExpressionError(text, messageOf(error));
  }
  if (json === undefined) return null;
  if (json.length > MAX_RESULT_BYTES)
    throw new ExpressionError(text, `built a value larger than ${MAX_RESULT_BYTES} bytes`);
  return JSON.parse(json);
}

/**
 * Resolves every `{{ }}` in a configuration value for one item. A string that is exactly one
 * expression takes the expression's value (a number stays a number); expressions inside longer
 * text are written into it. Arrays and objects are resolved member by member.
 */
export async function resolveValue(
  value: unknown,
  scope: ExpressionScope,
  timeoutMs: number,
): Promise<unknown> {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return value;
    const whole = /^\{\{([\s\S]*?)\}\}$/.exec(value.trim());
    if (whole && !whole[1]!.includes('{{')) return evaluateOne(whole[1]!.trim(), scope, timeoutMs);
    let out = '';
    let last = 0;
    for (const match of value.matchAll(TEMPLATE)) {
      out += value.slice(last, match.index);
      const result = await evaluateOne(match[1]!.trim(), scope, timeoutMs);
      out += result === null ? '' : typeof result === 'string' ? result : JSON.stringify(result);
      if (out.length > MAX_RESULT_BYTES)
        throw new ExpressionError(match[1]!.trim(), 'builds too long a text');
      last = match.index + match[0].length;
    }
    return out + value.slice(last);
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) out.push(await resolveValue(item, scope, timeoutMs));
    return out;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = await resolveValue(item, scope, timeoutMs);
    return out;
  }
  return value;
}
