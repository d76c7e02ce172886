import { run, type ToolParameters } from '@conduit/basic';
import { programFor } from '../bots/compile-script.js';
import { scriptHost } from '../dialog/script-host.js';
import type { Turn } from '../turns/turn.js';
import { checkArguments } from './check-arguments.js';
import type { ToolRow } from './manage-tools.js';

export interface ToolOutcome {
  ok: boolean;
  /** What the script RETURNed. */
  value: unknown;
  /** What it TALKed. */
  said: string[];
  error: string | null;
}

/**
 * Runs a tool's script with the given arguments (checked against its schema first). A tool runs to
 * its end in one go: one that asks the user (HEAR) or waits fails with a clear error.
 */
export async function runTool(
  turn: Turn,
  tool: ToolRow,
  args: Record<string, unknown>,
  caller: 'llm' | 'user',
): Promise<ToolOutcome> {
  const started = Date.now();
  const said: string[] = [];
  const outcome = await (async (): Promise<ToolOutcome> => {
    const problems = checkArguments(tool.parameters as unknown as ToolParameters, args);
    if (problems.length > 0)
      return {
        ok: false,
        value: null,
        said,
        error: `invalid arguments: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
      };
    const host = scriptHost(turn, (text) => said.push(text));
    const result = await run(programFor(tool.script), {
      host,
      input: args,
      limits: { maxWallTimeMs: turn.deps.env.LLM_TIMEOUT + turn.deps.env.SCRIPT_HTTP_TIMEOUT },
    });
    if (result.status === 'done') return { ok: true, value: result.value, said, error: null };
    if (result.status === 'error')
      return { ok: false, value: null, said, error: `line ${result.error.line}: ${result.error.message}` };
    return { ok: false, value: null, said, error: 'a tool cannot ask the user questions (HEAR) or WAIT' };
  })();
  turn.toolRuns.push({ name: tool.name, caller, ok: outcome.ok, durationMs: Date.now() - started });
  return outcome;
}
