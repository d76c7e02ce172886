import { spawn } from 'node:child_process';
import { SandboxError } from './sandbox-error.js';

/**
 * One sandboxed program as a child process: its input written, its output collected up to the cap,
 * killed at the deadline, and its ending turned into a result or a SandboxError.
 */

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** Standard output parsed as JSON when it is JSON, else the text without its trailing newline. */
  value: unknown;
}

export interface Bounds {
  memoryMb: number;
  timeoutMs: number;
  cpuSeconds: number;
  maxBytes: number;
}

export function runSandboxed(
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
