import { type Program, type RunResult, resume, run } from '@conduit/basic';
import type { Turn } from '../turns/turn.js';
import { scriptHost } from './script-host.js';

const limitsFor = (turn: Turn) => ({
  maxWallTimeMs: turn.deps.env.LLM_TIMEOUT + turn.deps.env.SCRIPT_HTTP_TIMEOUT,
});

/** TALK in a dialog: one bot message each, streamed as it is said. */
const dialogHost = (turn: Turn) =>
  scriptHost(turn, (text) => {
    turn.outputs.push({ sender: 'bot', content: text, model: null });
    turn.sink.emit({ type: 'delta', text });
  });

/**
 * The bot's `param-<name>` settings (General Bots' config.csv params) as the dialog's variables
 * `<name>`; plain numbers become numbers, anything else (a zip code "01234") stays text.
 */
export function paramVariables(settings: Map<string, string>): Record<string, string | number> {
  const input: Record<string, string | number> = {};
  for (const [key, value] of settings) {
    const name = /^param-([A-Za-z_][A-Za-z0-9_]*)$/i.exec(key)?.[1];
    if (!name) continue;
    input[name] = /^-?(0|[1-9]\d{0,14})(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
  }
  return input;
}

/** Runs the bot's dialog from the start (a new session) until it asks (HEAR), waits or ends. */
export async function startDialog(turn: Turn, program: Program): Promise<void> {
  const host = dialogHost(turn);
  const input = paramVariables(turn.settings);
  await settle(turn, program, await run(program, { host, input, limits: limitsFor(turn) }), host);
}

/**
 * Resumes a suspended dialog with the user's message: the answer to its HEAR (the engine re-asks
 * when it does not fit), or the nudge that ends a long WAIT.
 */
export async function continueDialog(turn: Turn, program: Program, answer: string): Promise<void> {
  const host = dialogHost(turn);
  const dialog = turn.context.dialog!;
  const result = await resume(program, dialog.state, dialog.reason === 'hear' ? answer : null, {
    host,
    limits: limitsFor(turn),
  });
  await settle(turn, program, result, host);
}

async function settle(turn: Turn, program: Program, first: RunResult, host: ReturnType<typeof dialogHost>) {
  let result = first;
  // Short WAITs are slept here; a long one is saved and ends with the next message.
  while (
    result.status === 'suspended' &&
    result.reason === 'wait' &&
    result.seconds * 1000 <= turn.deps.env.SCRIPT_INLINE_WAIT
  ) {
    await new Promise((resolve) =>
      setTimeout(
        resolve,
        result.status === 'suspended' && result.reason === 'wait' ? result.seconds * 1000 : 0,
      ),
    );
    result = await resume(program, result.state, null, { host, limits: limitsFor(turn) });
  }
  switch (result.status) {
    case 'suspended':
      turn.context.dialog =
        result.reason === 'hear'
          ? { state: result.state, reason: 'hear', prompt: result.prompt }
          : { state: result.state, reason: 'wait', resumeAt: result.resumeAt };
      return;
    case 'done':
      turn.context.dialog = null;
      return;
    case 'error': {
      // Part of the reply (stored, and in the stream's `done`): an SSE `error` would say that
      // nothing was stored.
      turn.context.dialog = null;
      const { line, column, message, code } = result.error;
      const content = `The bot's script stopped with an error at line ${line}, column ${column}: ${message}`;
      turn.outputs.push({ sender: 'system', content, metadata: { error: code, line, column } });
    }
  }
}
