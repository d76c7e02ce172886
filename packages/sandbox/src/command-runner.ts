import { accessSync, constants } from 'node:fs';
import { bubblewrapArguments, prlimitPath } from './bubblewrap-arguments.js';
import { isRoot, takeRunIdentity, threadsOwnedBy } from './process-user.js';
import { SandboxError } from './sandbox-error.js';
import { clampLimits, readSandboxSettings, type SandboxSettings } from './sandbox-settings.js';
import { type CommandResult, runSandboxed } from './sandboxed-process.js';

/**
 * RUN PYTHON and RUN BASH: the interpreter runs under bubblewrap, only where the operator enabled
 * it (SANDBOX_RUNNER=bubblewrap). Inside: new user, PID, network, IPC, UTS and cgroup namespaces
 * (no network at all, not even loopback), /usr read-only and nothing else of the host (no /etc,
 * /home, /root or /work), a private tmpfs for /tmp and the working directory, no capabilities,
 * a new session, and limits set by prlimit (address space, CPU seconds, processes, file size,
 * open files). At the deadline the host kills bubblewrap, which ends every process of the
 * sandbox's PID namespace; --die-with-parent does the same if the host itself goes.
 */

export type CommandLanguage = 'python' | 'bash';

export interface RunCommandOptions {
  /** Written to the program's standard input as JSON. */
  input?: unknown;
  memoryMb: number;
  timeoutMs: number;
  /** CPU seconds; defaults to the wall-clock limit rounded up. */
  cpuSeconds?: number;
  settings?: SandboxSettings;
}

export type { CommandResult } from './sandboxed-process.js';

const keyword: Record<CommandLanguage, string> = { python: 'RUN PYTHON', bash: 'RUN BASH' };
const setprivPath = '/usr/bin/setpriv';
const maxCodeBytes = 100_000;

const interpreterPath = (language: CommandLanguage, settings: SandboxSettings) =>
  language === 'python' ? settings.SANDBOX_PYTHON_PATH : settings.SANDBOX_BASH_PATH;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether RUN PYTHON / RUN BASH can run on this server, and if not, the message for the bot
 * author. Checks the settings and the programs only; `probeCommandRunner` also starts a sandbox.
 */
export function commandRunnerAvailability(
  language: CommandLanguage,
  settings: SandboxSettings = readSandboxSettings(),
): { available: true } | { available: false; reason: string } {
  if (settings.SANDBOX_RUNNER !== 'bubblewrap') {
    return {
      available: false,
      reason: `${keyword[language]} needs a sandbox runner (SANDBOX_RUNNER=bubblewrap) on this server`,
    };
  }
  const interpreter = interpreterPath(language, settings);
  if (!interpreter.startsWith('/usr/')) {
    return {
      available: false,
      reason: `${keyword[language]} is unavailable on this server: ${interpreter} is outside /usr, the only host tree in the sandbox`,
    };
  }
  const needed = [settings.SANDBOX_BWRAP_PATH, prlimitPath, interpreterPath(language, settings)];
  if (isRoot()) needed.push(setprivPath);
  const missing = needed.filter((path) => !executable(path));
  if (missing.length > 0) {
    return {
      available: false,
      reason: `${keyword[language]} is unavailable on this server: ${missing.join(', ')} not found`,
    };
  }
  return { available: true };
}

const probes = new Map<string, Promise<{ available: true } | { available: false; reason: string }>>();

/**
 * Starts one empty sandbox (kept once it worked) to learn whether bubblewrap can create its
 * namespaces here: a container without user namespaces cannot, whatever is installed.
 */
export function probeCommandRunner(
  language: CommandLanguage,
  settings: SandboxSettings = readSandboxSettings(),
): Promise<{ available: true } | { available: false; reason: string }> {
  const configured = commandRunnerAvailability(language, settings);
  if (!configured.available) return Promise.resolve(configured);
  const key = `${settings.SANDBOX_BWRAP_PATH}|${interpreterPath(language, settings)}`;
  let probe = probes.get(key);
  if (!probe) {
    // At the ceilings: an interpreter that cannot start within them cannot run any script.
    probe = runInBubblewrap(
      language,
      language === 'python' ? 'pass' : 'true',
      { memoryMb: settings.SANDBOX_MAX_MEMORY_MB, timeoutMs: settings.SANDBOX_MAX_TIMEOUT_MS },
      settings,
    ).then(
      () => ({ available: true as const }),
      (error: SandboxError) => {
        // Only success is kept: a probe that failed on a busy moment is tried again next time.
        probes.delete(key);
        const why =
          error.code === 'unavailable' ? error.message : `an empty sandbox failed (${error.message})`;
        return {
          available: false as const,
          reason: `${keyword[language]} is unavailable on this server: ${why}`,
        };
      },
    );
    probes.set(key, probe);
  }
  return probe;
}

function interpreterArgs(language: CommandLanguage, settings: SandboxSettings, code: string): string[] {
  // python -I: no environment variables, no user site directory, no script directory on the path.
  if (language === 'python') return [settings.SANDBOX_PYTHON_PATH, '-I', '-B', '-c', code];
  return [settings.SANDBOX_BASH_PATH, '--noprofile', '--norc', '-c', code];
}

/**
 * Runs `code` with the language's interpreter in a bubblewrap sandbox, the input as JSON on
 * standard input. Throws SandboxError: `unavailable` when no runner is enabled or it cannot start
 * here, `timeout` past `timeoutMs` or `cpuSeconds`, `memory` past `memoryMb` of address space,
 * `output_too_large` when standard output or error passes SANDBOX_MAX_OUTPUT_BYTES, `script_error`
 * on a non-zero exit (with the end of standard error).
 */
export async function runCommand(
  language: CommandLanguage,
  code: string,
  options: RunCommandOptions,
): Promise<CommandResult> {
  const settings = options.settings ?? readSandboxSettings();
  const availability = await probeCommandRunner(language, settings);
  if (!availability.available) throw new SandboxError('unavailable', availability.reason);
  return runInBubblewrap(language, code, options, settings);
}

async function runInBubblewrap(
  language: CommandLanguage,
  code: string,
  options: Omit<RunCommandOptions, 'settings'>,
  settings: SandboxSettings,
): Promise<CommandResult> {
  if (Buffer.byteLength(code) > maxCodeBytes) {
    throw new SandboxError('script_error', `the code is longer than ${maxCodeBytes} bytes`);
  }
  let inputJson: string;
  try {
    inputJson = options.input === undefined ? '' : JSON.stringify(options.input);
  } catch (error) {
    throw new SandboxError('script_error', `the input is not JSON: ${(error as Error).message}`);
  }

  const limits = clampLimits(options, settings);
  const wallSeconds = Math.ceil(limits.timeoutMs / 1000);
  const askedCpu =
    options.cpuSeconds !== undefined && Number.isFinite(options.cpuSeconds)
      ? Math.ceil(options.cpuSeconds)
      : wallSeconds;
  const cpuSeconds = Math.max(1, Math.min(askedCpu, wallSeconds));
  const bytes = limits.memoryMb * 1024 * 1024;
  const identity = takeRunIdentity(settings.SANDBOX_UID_BASE);
  try {
    const processes =
      identity.uid === undefined
        ? settings.SANDBOX_MAX_PROCESSES + (await threadsOwnedBy(process.getuid?.() ?? 0))
        : settings.SANDBOX_MAX_PROCESSES;
    const bwrapArgs = bubblewrapArguments({
      interpreter: interpreterArgs(language, settings, code),
      memoryBytes: bytes,
      cpuSeconds,
      processes,
    });
    const [command, args] =
      identity.uid === undefined
        ? [settings.SANDBOX_BWRAP_PATH, bwrapArgs]
        : [
            setprivPath,
            [
              `--reuid=${identity.uid}`,
              `--regid=${identity.uid}`,
              '--clear-groups',
              '--',
              settings.SANDBOX_BWRAP_PATH,
              ...bwrapArgs,
            ],
          ];
    return await runSandboxed(command, args, inputJson, {
      ...limits,
      cpuSeconds,
      maxBytes: settings.SANDBOX_MAX_OUTPUT_BYTES,
    });
  } finally {
    identity.release();
  }
}
