import { type CommandLanguage, commandRunnerAvailability, runCommand } from './command-runner.js';
import { javaScriptAvailability, runJavaScript } from './javascript-isolate.js';
import { SandboxError } from './sandbox-error.js';
import type { SandboxSettings } from './sandbox-settings.js';

/**
 * RUN JAVASCRIPT, RUN PYTHON and RUN BASH for every BASIC host (a bot's dialogs, its automations):
 * each run gets SANDBOX_SCRIPT_MEMORY_MB and SANDBOX_SCRIPT_TIMEOUT_MS (within the ceilings), and
 * every way it can end badly is an Error whose message tells the script's author what stopped it,
 * never a crash of the host.
 */

const stopped: Record<SandboxError['code'], string> = {
  timeout: 'the code was stopped at its time limit',
  memory: 'the code was stopped at its memory limit',
  output_too_large: 'the code was stopped: its output is too large',
  script_error: 'the code failed',
  busy: 'the code was not run, the server is busy; try again shortly',
  unavailable: 'unavailable',
};

/** The author's message: what stopped the code and the sandbox's own words (never the host's internals). */
function explain(error: unknown): Error {
  if (!(error instanceof SandboxError)) return error instanceof Error ? error : new Error(String(error));
  // The sandbox's `unavailable` messages start with the keyword, which the engine puts in front.
  if (error.code === 'unavailable')
    return new Error(error.message.replace(/^RUN (JAVASCRIPT|PYTHON|BASH) (is )?/, ''));
  return new Error(`${stopped[error.code]} (${error.message})`);
}

/** Standard output as the value, less its last line break (as `$(...)` in a shell). */
const outputOf = (stdout: string) => stdout.replace(/\r?\n$/, '');

export function sandboxKeywords(settings: SandboxSettings) {
  const limits = {
    memoryMb: settings.SANDBOX_SCRIPT_MEMORY_MB,
    timeoutMs: settings.SANDBOX_SCRIPT_TIMEOUT_MS,
    settings,
  };
  const command = (language: CommandLanguage) => async (code: string, input: unknown) => {
    try {
      const result = await runCommand(language, code, { ...limits, ...(input === null ? {} : { input }) });
      return outputOf(result.stdout);
    } catch (error) {
      throw explain(error);
    }
  };
  return {
    /**
     * The code's completion value (a promise is awaited), as JSON data; code that ends without a
     * value answers what it wrote with console.log, one line each, as General Bots answers output.
     */
    async runJavaScript(code: string, input: unknown): Promise<unknown> {
      try {
        const result = await runJavaScript(code, { ...limits, ...(input === null ? {} : { input }) });
        if (result.value !== undefined) return result.value;
        return result.logs.map((entry) => entry.line).join('\n');
      } catch (error) {
        throw explain(error);
      }
    },
    /** Standard output; the input arrives as JSON on standard input. */
    runPython: command('python'),
    runBash: command('bash'),
  };
}

/**
 * What to tell the BASIC compiler (`compile(source, { commandRunners })`): RUN PYTHON and RUN BASH
 * compile where the runner is enabled and its programs are in place, else fail saying why (with
 * the runner off, the engine's own message names SANDBOX_RUNNER).
 */
export function commandRunnersFor(settings: SandboxSettings): {
  python?: true | string;
  bash?: true | string;
} {
  if (settings.SANDBOX_RUNNER === 'off') return {};
  const offer = (language: CommandLanguage) => {
    const availability = commandRunnerAvailability(language, settings);
    return availability.available ? (true as const) : availability.reason;
  };
  return { python: offer('python'), bash: offer('bash') };
}

/**
 * What a server where RUN JAVASCRIPT cannot run (the isolated-vm addon does not load, or Node was
 * started without --no-node-snapshot) refuses at compile time, as the BASIC engine's keyword
 * refusals (`refusedKeywords(program, sandboxRefusals())`): a script using it then fails to
 * compile with the reason instead of failing when it gets there. Empty where it runs.
 */
export function sandboxRefusals(): { runJavaScript?: string } {
  const availability = javaScriptAvailability();
  return availability.available ? {} : { runJavaScript: availability.reason.replace(/^RUN JAVASCRIPT /, '') };
}
