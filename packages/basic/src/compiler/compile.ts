// compile(source): parse, resolve names, compile every routine, and read the declarations
// (PARAM, DESCRIPTION, SET SCHEDULE) into the program's metadata.
import { createHash } from 'node:crypto';
import type { Stmt } from '../ast.js';
import { BUILTINS } from '../builtins.js';
import type { KeywordOptions } from '../keyword-status.js';
import { type LexError, lex } from '../lexer.js';
import { parse } from '../parser.js';
import type { ParamBinding, Program, Schedule, TableTrigger, Unit } from '../program.js';
import { parseSchedule } from '../schedule.js';
import { type ParamDeclaration, toolParameters } from '../tool-schema.js';
import { type CompileContext, collectNames, type RoutineInfo, UnitCompiler } from './unit-compiler.js';

/** Bumped whenever the compiled form changes meaning, so old suspension states are refused. */
export const ENGINE_VERSION = 1;

export interface CompileError {
  line: number;
  column: number;
  message: string;
}

export type CompileOptions = KeywordOptions;

export type CompileResult = { ok: true; program: Program } | { ok: false; errors: CompileError[] };

/**
 * The hash covers the tokens, not the text: editing comments or indentation keeps suspended
 * conversations valid, while any change to the code refuses them.
 */
function programHash(source: string): string {
  const hash = createHash('sha256');
  hash.update(`conduit-basic/${ENGINE_VERSION}\n`);
  for (const t of lex(source).tokens) hash.update(`${t.kind}:${t.raw ?? t.text}\u0000`);
  return hash.digest('hex').slice(0, 32);
}

/**
 * `options` says what the server offers beyond the engine (RUN PYTHON / RUN BASH only where its
 * operator enabled a sandbox runner); a keyword it does not offer fails to compile, saying why.
 */
export function compile(source: string, options: CompileOptions = {}): CompileResult {
  try {
    return compileSource(source, options);
  } catch (e) {
    if (e instanceof RangeError) {
      return {
        ok: false,
        errors: [{ line: 1, column: 1, message: 'The script is nested too deeply to compile' }],
      };
    }
    throw e;
  }
}

function compileSource(source: string, options: CompileOptions): CompileResult {
  if (typeof source !== 'string') {
    return { ok: false, errors: [{ line: 1, column: 1, message: 'The script source must be text' }] };
  }
  const { ast, errors } = parse(source, options);
  const ctx: CompileContext = { routines: new Map(), globals: new Map(), globalDisplay: new Map(), errors };

  ast.routines.forEach((decl, i) => {
    if (ctx.routines.has(decl.name)) {
      errors.push({ line: decl.line, column: decl.column, message: `${decl.name} is declared twice` });
    } else if (BUILTINS[decl.name] || decl.name === 'NOW' || decl.name === 'TODAY') {
      errors.push({
        line: decl.line,
        column: decl.column,
        message: `${decl.name} is a built-in function; choose another name`,
      });
    }
    const info: RoutineInfo = { index: i + 1, decl };
    if (!ctx.routines.has(decl.name)) ctx.routines.set(decl.name, info);
  });

  const names = new Map<string, string>();
  collectNames(ast.main, names);
  for (const [name, display] of names) {
    ctx.globals.set(name, ctx.globals.size);
    ctx.globalDisplay.set(name, display);
  }

  const main = new UnitCompiler(ctx, 'main', null);
  main.block(ast.main);
  main.finish(ast.main[ast.main.length - 1] ?? { line: 1, column: 1 });

  const routineUnits: Unit[] = ast.routines.map((decl) => {
    const c = new UnitCompiler(ctx, decl.kind, decl);
    c.block(decl.body);
    c.finish(decl);
    return {
      name: decl.name,
      kind: decl.kind,
      params: decl.params.length,
      slotCount: c.slots,
      resultSlot: c.resultSlot,
      code: c.code,
    };
  });

  const meta = readDeclarations(main.declarations, ctx, errors);
  if (errors.length > 0) return { ok: false, errors: dedupe(errors) };

  const units: Unit[] = [
    { name: 'main', kind: 'main', params: 0, slotCount: ctx.globals.size, resultSlot: -1, code: main.code },
    ...routineUnits,
  ];
  const program: Program = {
    hash: programHash(source),
    units,
    globalCount: ctx.globals.size,
    globalNames: [...ctx.globalDisplay].map(([name, display]) => ({
      name: display,
      slot: ctx.globals.get(name) as number,
    })),
    params: meta.params,
    parameters: toolParameters(meta.declarations),
    description: meta.description,
    schedule: meta.schedule,
    tableTriggers: meta.tableTriggers,
    webhook: meta.webhook,
  };
  return { ok: true, program };
}

function readDeclarations(stmts: Stmt[], ctx: CompileContext, errors: LexError[]) {
  const params: ParamBinding[] = [];
  const declarations: ParamDeclaration[] = [];
  let description: string | null = null;
  let schedule: Schedule | null = null;
  const tableTriggers: TableTrigger[] = [];
  let webhook: string | null = null;
  for (const s of stmts) {
    if (s.kind === 'on') {
      const same = tableTriggers.find((t) => t.table === s.table);
      if (same) same.events = [...new Set([...same.events, ...s.events])];
      else tableTriggers.push({ table: s.table, events: s.events });
      continue;
    }
    if (s.kind === 'webhook') {
      if (webhook !== null)
        errors.push({
          line: s.line,
          column: s.column,
          message: 'WEBHOOK appears twice; a script answers one',
        });
      webhook = s.name;
      continue;
    }
    if (s.kind === 'param') {
      if (params.some((p) => p.name.toUpperCase() === s.name)) {
        errors.push({ line: s.line, column: s.column, message: `PARAM ${s.raw} is declared twice` });
        continue;
      }
      let example = s.example;
      if (
        ['NUMBER', 'INTEGER', 'MONEY'].includes(s.type) &&
        typeof example === 'string' &&
        example.trim() !== '' &&
        !Number.isNaN(Number(example))
      ) {
        example = Number(example);
      }
      params.push({
        name: s.raw,
        slot: ctx.globals.get(s.name) as number,
        type: s.type,
        options: s.options,
        optional: s.optional,
      });
      declarations.push({
        name: s.raw,
        type: s.type,
        options: s.options,
        example,
        description: s.description,
        optional: s.optional,
      });
    } else if (s.kind === 'description') {
      if (description !== null)
        errors.push({ line: s.line, column: s.column, message: 'DESCRIPTION appears twice' });
      description = s.text;
    } else if (s.kind === 'schedule') {
      if (schedule !== null) {
        errors.push({
          line: s.line,
          column: s.column,
          message: 'SET SCHEDULE appears twice; a script has one schedule',
        });
        continue;
      }
      const parsed = parseSchedule(s.source);
      if (parsed.ok) schedule = { cron: parsed.cron, source: s.source };
      else errors.push({ line: s.line, column: s.column, message: parsed.message });
    }
  }
  return { params, declarations, description, schedule, tableTriggers, webhook };
}

function dedupe(errors: LexError[]): CompileError[] {
  const seen = new Set<string>();
  const out: CompileError[] = [];
  for (const e of [...errors].sort((a, b) => a.line - b.line || a.column - b.column)) {
    const key = `${e.line}:${e.column}:${e.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ line: e.line, column: e.column, message: e.message });
  }
  return out;
}
