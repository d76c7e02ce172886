import { spawn } from 'node:child_process';
import { accessSync, constants, lstatSync, readlinkSync } from 'node:fs';
import { isRoot, takeRunIdentity, threadsOwnedBy } from './process-user.js';
import { SandboxError } from './sandbox-error.js';
import { clampLimits, readSandboxSettings, type SandboxSettings } from './sandbox-settings.js';

/**
 * RUN PYTHON and RUN BASH: the interpreter runs under bubblewrap, only where the operator enabled
 * it (SANDBOX_RUNNER=bubblewrap). Inside: new user, PID, network, IPC, UTS and cgroup namespaces
 * (no network at all, not even loopback), /usr read-only and nothing else of the host (no /etc,
 * /home, /root or /work), a private tmpfs for /tmp and the working directory, no capabilities,
 * a new session, and limits set by prlimit (address space, CPU seconds, processes, file size,
 * open files). The host kills the whole process group at the deadline, and --die-with-parent ends
 * the sandbox if the host itself goes.
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

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** Standard output parsed as JSON when it is JSON, else the text without its trailing newline. */
  value: unknown;
}

const keyword: Record<CommandLanguage, string> = { python: 'RUN PYTHON', bash: 'RUN BASH' };
const prlimitPath = '/usr/bin/prlimit';
const setprivPath = '/usr/bin/setpriv';
/** Inside the sandbox the program is `nobody`, whatever user id it has outside. */
const sandboxUid = '65534';
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

/** /bin, /lib and friends: symlinks into /usr on merged-/usr systems, read-only binds elsewhere. */
function systemDirectories(): string[] {
  const args: string[] = ['--ro-bind', '/usr', '/usr'];
  for (const path of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    try {
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
      else if (stat.isDirectory()) args.push('--ro-bind', path, path);
    } catch {
      // Absent on this system: nothing to offer.
    }
  }
  return args;
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
  const cpuSeconds = Math.max(
    1,
    Math.min(Math.ceil(options.cpuSeconds ?? limits.timeoutMs / 1000), Math.ceil(limits.timeoutMs / 1000)),
  );
  const bytes = limits.memoryMb * 1024 * 1024;
  const identity = takeRunIdentity(settings.SANDBOX_UID_BASE);
  try {
    const processes =
      identity.uid === undefined
        ? settings.SANDBOX_MAX_PROCESSES + (await threadsOwnedBy(process.getuid?.() ?? 0))
        : settings.SANDBOX_MAX_PROCESSES;
    const bwrapArgs = [
      '--unshare-all',
      '--unshare-user',
      '--disable-userns',
      '--uid',
      sandboxUid,
      '--gid',
      sandboxUid,
      '--hostname',
      'sandbox',
      '--die-with-parent',
      '--new-session',
      '--cap-drop',
      'ALL',
      ...systemDirectories(),
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--size',
      String(bytes),
      '--tmpfs',
      '/tmp',
      '--size',
      String(bytes),
      '--tmpfs',
      '/sandbox',
      '--chdir',
      '/sandbox',
      '--clearenv',
      '--setenv',
      'PATH',
      '/usr/bin:/bin',
      '--setenv',
      'HOME',
      '/sandbox',
      '--setenv',
      'TMPDIR',
      '/tmp',
      '--setenv',
      'LANG',
      'C.UTF-8',
      '--',
      prlimitPath,
      `--as=${bytes}`,
      `--cpu=${cpuSeconds}:${cpuSeconds + 1}`,
      `--nproc=${processes}`,
      `--fsize=${bytes}`,
      '--nofile=64',
      '--core=0',
      '--',
      ...interpreterArgs(language, settings, code),
    ];
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

interface Bounds {
  memoryMb: number;
  timeoutMs: number;
  cpuSeconds: number;
  maxBytes: number;
}

function runSandboxed(
  command: string,
  args: string[],
  stdin: string,
  bounds: Bounds,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    // A process group of its own, killed at the deadline. The program itself is in a new session
    // (--new-session) and PID namespace: it dies with bubblewrap (--die-with-parent), and with it
    // every process of the namespace.
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: {} });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const written = { out: 0, err: 0 };
    let ending: 'timeout' | 'output_too_large' | undefined;
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const deadline = setTimeout(() => {
      ending ??= 'timeout';
      killGroup();
    }, bounds.timeoutMs);
    const collect = (chunks: Buffer[], stream: 'out' | 'err') => (chunk: Buffer) => {
      written[stream] += chunk.length;
      if (written[stream] > bounds.maxBytes) {
        ending ??= 'output_too_large';
        killGroup();
        return;
      }
      chunks.push(chunk);
    };
    child.stdout.on('data', collect(stdout, 'out'));
    child.stderr.on('data', collect(stderr, 'err'));
    // A program that never reads its input closes the pipe early: that is not an error.
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
    child.on('error', (error) => {
      clearTimeout(deadline);
      reject(new SandboxError('unavailable', `the sandbox could not be started: ${error.message}`));
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(deadline);
      const out = Buffer.concat(stdout).toString('utf8');
      const err = Buffer.concat(stderr).toString('utf8');
      if (ending === 'output_too_large') {
        reject(new SandboxError('output_too_large', `the program wrote more than ${bounds.maxBytes} bytes`));
        return;
      }
      if (ending === 'timeout') {
        reject(new SandboxError('timeout', `the program ran longer than ${bounds.timeoutMs} ms`));
        return;
      }
      if (exitCode === 0) {
        resolve({ stdout: out, stderr: err, value: parseOutput(out) });
        return;
      }
      reject(classifyExit(exitCode, signal, err, bounds));
    });
  });
}

function parseOutput(stdout: string): unknown {
  const text = stdout.replace(/\n$/, '');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const SIGKILL_STATUS = 128 + 9;
const SIGXCPU_STATUS = 128 + 24;

function classifyExit(
  exitCode: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
  bounds: Bounds,
): SandboxError {
  const tail = stderr.trim().slice(-2000);
  if (/^bwrap: /m.test(stderr) && exitCode === 1) {
    return new SandboxError('unavailable', `the sandbox could not be started: ${tail}`);
  }
  if (
    exitCode === SIGXCPU_STATUS ||
    signal === 'SIGXCPU' ||
    exitCode === SIGKILL_STATUS ||
    signal === 'SIGKILL'
  ) {
    return new SandboxError('timeout', `the program used more than ${bounds.cpuSeconds} s of CPU time`);
  }
  if (/MemoryError|Cannot allocate memory|xmalloc|out of memory/i.test(stderr)) {
    return new SandboxError('memory', `the program used more than ${bounds.memoryMb} MB of memory`);
  }
  return new SandboxError(
    'script_error',
    `the program exited with status ${exitCode ?? signal}${tail ? `: ${tail}` : ''}`,
  );
}
