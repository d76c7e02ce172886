import {
  type CompileError,
  type CompileOptions,
  compile,
  type KeywordRefusals,
  type Program,
  refusedKeywords,
} from '@conduit/basic';
import { problemSchema } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { z } from 'zod';

/** The 422 of a script that does not compile (compileOrReject): each error with its line and column. */
export const scriptProblem = problemSchema.extend({
  errors: z
    .array(
      z.object({
        path: z.string(),
        message: z.string(),
        line: z.int().optional(),
        column: z.int().optional(),
      }),
    )
    .optional(),
});

let offered: CompileOptions = {};
let refusedHere: KeywordRefusals = {};

/**
 * What this server offers scripts beyond the engine (RUN PYTHON / RUN BASH where its operator
 * enabled a sandbox runner), from its configuration, and what it cannot run at all (RUN JAVASCRIPT
 * where the isolate does not load): set as the service starts, before any compile.
 */
export function offerScriptKeywords(options: CompileOptions, refusals: KeywordRefusals = {}): void {
  offered = options;
  refusedHere = refusals;
  programs.clear();
}

/**
 * Compiles a script on save; a script that does not compile is a 422 listing every error, as is
 * one `refuse` finds keywords in that do not apply where it will run.
 */
export function compileOrReject(
  source: string,
  what = 'script',
  refuse?: (program: Program) => CompileError[],
): Program {
  const compiled = compile(source, offered);
  const refused = compiled.ok
    ? [...refusedKeywords(compiled.program, refusedHere), ...(refuse?.(compiled.program) ?? [])]
    : [];
  if (compiled.ok && refused.length === 0) return compiled.program;
  const errors = (compiled.ok ? refused : compiled.errors).map((e) => ({
    path: `${what}:${e.line}:${e.column}`,
    message: e.message,
    line: e.line,
    column: e.column,
  }));
  throw new DomainError(
    'unprocessable',
    `The ${what} does not compile: ${errors.map((e) => `line ${e.line}, column ${e.column}: ${e.message}`).join('; ')}`,
    { fields: { errors } },
  );
}

const programs = new Map<string, Program>();

/**
 * Compiled programs by source text. Compiling is deterministic, so a program compiled here after
 * a restart accepts the suspension states saved before it (their hash matches).
 */
export function programFor(source: string): Program {
  const cached = programs.get(source);
  if (cached) return cached;
  const program = compileOrReject(source);
  if (programs.size > 500) programs.delete(programs.keys().next().value as string);
  programs.set(source, program);
  return program;
}
