import { type RunResult, run, type Value } from '@conduit/basic';
import { loggableError } from '@conduit/service-kit';
import type { ConversationDeps } from '../../deps.js';
import type { BotRow } from '../bots/bot-access.js';
import { programFor } from '../bots/compile-script.js';
import { handlerHost } from './handler-host.js';
import {
  handlerTimeLimitMs,
  recordHandlerRunEnd,
  recordHandlerRunStart,
  type StartedHandlerRun,
} from './handler-runs.js';

// Runs a bot's ON and WEBHOOK scripts (tools whose script declares them; see manage-tools.ts).

export type HandlerOutcome =
  | { ok: true; value: Value; variables: Record<string, Value>; output: string[] }
  | { ok: false; message: string; output: string[] };

/** Which script runs, and why: recorded with the run (bot_handler_runs) for the bot's managers. */
export interface HandlerCall {
  kind: 'on' | 'webhook';
  toolId: string;
  /** ON: the table change's event id. */
  eventId?: string | undefined;
}

/**
 * Runs one handler script to its end with `input` as its variables, recording the run where the
 * bot's managers read it: `running` before the script starts (unless `started`, a record the
 * caller made with its claim), then how it ended (status, error, output lines, times). A script
 * that stops with an error, or waits (HEAR, a long WAIT: nobody will answer), is a failed outcome
 * with the reason; nothing here throws for what a script does.
 */
export async function runHandler(
  deps: ConversationDeps,
  bot: Pick<BotRow, 'id' | 'ownerUserId' | 'teamId' | 'orgId'>,
  script: string,
  input: Record<string, Value>,
  call: HandlerCall | StartedHandlerRun,
): Promise<HandlerOutcome> {
  const run =
    'id' in call
      ? call
      : await recordHandlerRunStart(deps, bot, {
          kind: call.kind,
          toolId: call.toolId,
          eventId: call.eventId ?? null,
        });
  const outcome = await runScript(deps, bot, script, input, run.kind);
  await recordHandlerRunEnd(deps, bot, run, outcome);
  return outcome;
}

async function runScript(
  deps: ConversationDeps,
  bot: Pick<BotRow, 'id' | 'ownerUserId' | 'teamId' | 'orgId'>,
  script: string,
  input: Record<string, Value>,
  kind: 'on' | 'webhook',
): Promise<HandlerOutcome> {
  const output: string[] = [];
  let result: RunResult;
  try {
    result = await run(programFor(script), {
      host: handlerHost(deps, bot, output, deps.log, kind === 'on'),
      input,
      limits: { maxWallTimeMs: handlerTimeLimitMs(deps.env) },
    });
  } catch (error) {
    // A script saved before it stopped compiling (a newer engine): say so, never crash the caller.
    deps.log.warn({ err: loggableError(error), botId: bot.id }, 'bot handler script did not compile');
    return { ok: false, message: 'the script does not compile', output };
  }
  if (result.status === 'done') return { ok: true, value: result.value, variables: result.variables, output };
  if (result.status === 'suspended')
    return {
      ok: false,
      message: 'an ON or WEBHOOK script cannot wait (HEAR or a long WAIT): nobody is there to answer',
      output,
    };
  const { line, column, message } = result.error;
  return { ok: false, message: `line ${line}, column ${column}: ${message}`, output };
}
