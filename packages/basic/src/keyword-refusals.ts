// Keywords a kind of script may not use where it runs (a bot's ON / WEBHOOK scripts, its
// automations): the host that runs them says which, and why, and a script using one fails to
// compile there with that reason at the keyword's line, rather than stopping when it gets there.
import type { CompileError } from './compiler/compile.js';
import { type BasicHost, HOST_KEYWORDS } from './host.js';
import { OP, type Program } from './program.js';

/** Why each refused keyword does not apply: host methods, and `hear` for HEAR. */
export type KeywordRefusals = Partial<Record<keyof BasicHost | 'hear', string>>;

/**
 * The errors of every use of a refused keyword in the program, in source order: "<KEYWORD> <why>"
 * at its line and column. Empty when it uses none.
 */
export function refusedKeywords(program: Program, refusals: KeywordRefusals): CompileError[] {
  const errors: CompileError[] = [];
  for (const unit of program.units)
    for (const ins of unit.code) {
      const keyword = ins.op === OP.HEAR ? 'hear' : ins.op === OP.HOST ? ins.host : null;
      const why = keyword ? refusals[keyword] : undefined;
      if (!keyword || !why) continue;
      const name = keyword === 'hear' ? 'HEAR' : HOST_KEYWORDS[keyword];
      errors.push({ line: ins.line, column: ins.column, message: `${name} ${why}` });
    }
  return errors.sort((a, b) => a.line - b.line || a.column - b.column);
}
