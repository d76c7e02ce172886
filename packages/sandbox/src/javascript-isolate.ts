import { createRequire } from 'node:module';
import type IsolatedVm from 'isolated-vm';
import { SandboxError } from './sandbox-error.js';
import { clampLimits, readSandboxSettings, type SandboxSettings } from './sandbox-settings.js';

/**
 * RUN JAVASCRIPT: the code runs in a V8 isolate of its own (isolated-vm), a separate heap with its
 * own memory limit and nothing but the language itself: no require, process, fetch, timers, file
 * system or network, because none is put there. node:vm is not used: its contexts share the host's
 * heap and event loop and are not a security boundary. Values cross only as JSON text, so nothing of
 * the host (no function, no prototype) ever reaches the script.
 */

export interface RunJavaScriptOptions {
  /** Copied into the isolate as the global `input` (JSON values only). */
  input?: unknown;
  memoryMb: number;
  timeoutMs: number;
  settings?: SandboxSettings;
}

export interface ConsoleLine {
  level: 'log' | 'info' | 'warn' | 'error' | 'debug';
  line: string;
}

export interface JavaScriptResult {
  /** The script's completion value (awaited when it is a promise), as JSON; undefined when none. */
  value: unknown;
  logs: ConsoleLine[];
  /** The console wrote more than the byte cap; later lines were dropped. */
  logsTruncated: boolean;
}

type IsolatedVmModule = typeof IsolatedVm;

let loaded: { module: IsolatedVmModule } | { failure: string } | undefined;

/** isolated-vm is a native addon: a server where it did not build can still run everything else. */
function loadIsolatedVm(): { module: IsolatedVmModule } | { failure: string } {
  if (!loaded) {
    try {
      loaded = { module: createRequire(import.meta.url)('isolated-vm') as IsolatedVmModule };
    } catch (error) {
      loaded = {
        failure: `the isolated-vm addon could not be loaded (${(error as Error).message.split('\n')[0]})`,
      };
    }
  }
  return loaded;
}

/** isolated-vm's own rule: on Node 20 and later the host must start with --no-node-snapshot. */
function startedWithoutNodeSnapshot(): boolean {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20) return true;
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return flags.includes('--no-node-snapshot');
}

/** Whether RUN JAVASCRIPT can run in this process, and if not, a message that says why. */
export function javaScriptAvailability(): { available: true } | { available: false; reason: string } {
  const addon = loadIsolatedVm();
  if ('failure' in addon)
    return { available: false, reason: `RUN JAVASCRIPT is unavailable on this server: ${addon.failure}` };
  if (!startedWithoutNodeSnapshot()) {
    return {
      available: false,
      reason:
        'RUN JAVASCRIPT is unavailable on this server: Node must be started with --no-node-snapshot (NODE_OPTIONS)',
    };
  }
  return { available: true };
}

// Runs inside the isolate. The intrinsics it needs are taken before the script runs, so a script
// that replaces JSON or eval cannot change how its own result is measured. The host checks the
// outcome's shape and size again anyway.
const bootstrap = `
const [code, inputJson, maxChars] = [$0, $1, $2];
const stringify = JSON.stringify;
const parse = JSON.parse;
const indirectEval = eval;
const logs = [];
let logChars = 0;
let logsTruncated = false;
const format = (value) => {
  if (typeof value === 'string') return value;
  try { return String(stringify(value)); } catch { return String(value); }
};
const writer = (level) => (...args) => {
  if (logsTruncated) return;
  const line = args.map(format).join(' ');
  logChars += line.length + 1;
  if (logChars > maxChars) { logsTruncated = true; return; }
  logs[logs.length] = { level, line };
};
globalThis.console = { log: writer('log'), info: writer('info'), warn: writer('warn'), error: writer('error'), debug: writer('debug') };
// WebAssembly memory is reserved outside the heap the isolate's limit counts: not offered.
delete globalThis.WebAssembly;
globalThis.input = inputJson === undefined ? undefined : parse(inputJson);
return (async () => {
  try {
    const value = await indirectEval(code);
    const json = value === undefined ? undefined : stringify(value);
    if (json !== undefined && json.length > maxChars) return { status: 'too_large', size: json.length, logs, logsTruncated };
    return { status: 'ok', json, logs, logsTruncated };
  } catch (error) {
    let name = 'Error';
    let message = '';
    try { name = String(error && error.name || 'Error'); message = String(error && error.message !== undefined ? error.message : error); } catch {}
    return { status: 'error', name, message: message.slice(0, 2000), logs, logsTruncated };
  }
})();
`;

interface Outcome {
  status: 'ok' | 'too_large' | 'error';
  json?: unknown;
  size?: unknown;
  name?: unknown;
  message?: unknown;
  logs: unknown;
  logsTruncated: unknown;
}

function toConsoleLines(logs: unknown): ConsoleLine[] {
  if (!Array.isArray(logs)) return [];
  const levels = new Set(['log', 'info', 'warn', 'error', 'debug']);
  return logs.flatMap((entry) =>
    entry && typeof entry.line === 'string' && levels.has(entry.level)
      ? [{ level: entry.level, line: entry.line }]
      : [],
  );
}

// The isolates running in this process, and the runs waiting for one to end (first come, first
// served). A run that ends hands its turn straight to the first waiting run.
let isolatesRunning = 0;
const waitingForIsolate: Array<() => void> = [];

function releaseIsolate() {
  const next = waitingForIsolate.shift();
  if (next) next();
  else isolatesRunning--;
}

/** A turn to run an isolate: at once under SANDBOX_MAX_CONCURRENT, else after a short wait, else `busy`. */
function takeIsolateTurn(settings: SandboxSettings): Promise<void> {
  if (isolatesRunning < settings.SANDBOX_MAX_CONCURRENT && waitingForIsolate.length === 0) {
    isolatesRunning++;
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const turn = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      const index = waitingForIsolate.indexOf(turn);
      if (index >= 0) waitingForIsolate.splice(index, 1);
      reject(
        new SandboxError(
          'busy',
          `this server already runs ${settings.SANDBOX_MAX_CONCURRENT} JavaScript runs at once (SANDBOX_MAX_CONCURRENT); this one waited ${settings.SANDBOX_CONCURRENT_WAIT_MS} ms`,
        ),
      );
    }, settings.SANDBOX_CONCURRENT_WAIT_MS);
    waitingForIsolate.push(turn);
  });
}

/**
 * Runs `code` as a script in a fresh isolate and returns its completion value (awaited when it is
 * a promise). Throws SandboxError: `timeout` past `timeoutMs` (a promise that never settles too),
 * `memory` past `memoryMb` of heap, `output_too_large` when the result or console is past
 * SANDBOX_MAX_OUTPUT_BYTES, `script_error` when it throws or does not compile or its result is not
 * JSON, `unavailable` when the isolate cannot be used here, `busy` when SANDBOX_MAX_CONCURRENT runs
 * kept it waiting past SANDBOX_CONCURRENT_WAIT_MS. The isolate is disposed every time.
 */
export async function runJavaScript(code: string, options: RunJavaScriptOptions): Promise<JavaScriptResult> {
  const settings = options.settings ?? readSandboxSettings();
  const availability = javaScriptAvailability();
  if (!availability.available) throw new SandboxError('unavailable', availability.reason);
  const ivm = (loadIsolatedVm() as { module: IsolatedVmModule }).module;
  const limits = clampLimits(options, settings);
  const maxBytes = settings.SANDBOX_MAX_OUTPUT_BYTES;

  let inputJson: string | undefined;
  try {
    inputJson = options.input === undefined ? undefined : JSON.stringify(options.input);
  } catch (error) {
    throw new SandboxError('script_error', `the input is not JSON: ${(error as Error).message}`);
  }

  await takeIsolateTurn(settings);
  try {
    return await runInIsolate(ivm, code, inputJson, limits, maxBytes);
  } finally {
    releaseIsolate();
  }
}

async function runInIsolate(
  ivm: IsolatedVmModule,
  code: string,
  inputJson: string | undefined,
  limits: { memoryMb: number; timeoutMs: number },
  maxBytes: number,
): Promise<JavaScriptResult> {
  const isolate = new ivm.Isolate({ memoryLimit: limits.memoryMb });
  let timedOut = false;
  // The isolate's own timeout covers synchronous code; work continued after an await, or a promise
  // that never settles, is ended by disposing the isolate from here.
  const deadline = setTimeout(() => {
    timedOut = true;
    if (!isolate.isDisposed) isolate.dispose();
  }, limits.timeoutMs);
  try {
    const context = await isolate.createContext();
    const outcome = (await context.evalClosure(bootstrap, [code, inputJson, maxBytes], {
      arguments: { copy: true },
      result: { copy: true, promise: true },
      timeout: limits.timeoutMs,
    })) as Outcome;
    return readOutcome(outcome, maxBytes, limits.memoryMb);
  } catch (error) {
    if (error instanceof SandboxError) throw error;
    throw classifyFailure(error as Error, { timedOut, disposed: isolate.isDisposed, limits });
  } finally {
    clearTimeout(deadline);
    if (!isolate.isDisposed) isolate.dispose();
  }
}

function readOutcome(outcome: Outcome, maxBytes: number, memoryMb: number): JavaScriptResult {
  if (!outcome || typeof outcome !== 'object')
    throw new SandboxError('script_error', 'the script ended without a result');
  const logs = toConsoleLines(outcome.logs);
  const logBytes = logs.reduce((sum, entry) => sum + Buffer.byteLength(entry.line) + 1, 0);
  const logsTruncated = outcome.logsTruncated === true || logBytes > maxBytes;
  const keptLogs = logBytes > maxBytes ? keepWithin(logs, maxBytes) : logs;
  if (outcome.status === 'error') {
    const name = typeof outcome.name === 'string' ? outcome.name : 'Error';
    const message = typeof outcome.message === 'string' ? outcome.message : '';
    // The isolate refuses an ArrayBuffer past its limit with a RangeError the script may catch; one
    // that reaches the top is the memory limit, and says so.
    if (name === 'RangeError' && /^Array buffer allocation failed/.test(message)) {
      throw new SandboxError('memory', `the script used more than ${memoryMb} MB of memory`);
    }
    throw new SandboxError('script_error', `${name}: ${message}`);
  }
  if (outcome.status === 'too_large') {
    throw new SandboxError('output_too_large', `the result is larger than ${maxBytes} bytes`);
  }
  if (outcome.json === undefined) return { value: undefined, logs: keptLogs, logsTruncated };
  if (typeof outcome.json !== 'string') throw new SandboxError('script_error', 'the result is not JSON');
  if (Buffer.byteLength(outcome.json) > maxBytes) {
    throw new SandboxError('output_too_large', `the result is larger than ${maxBytes} bytes`);
  }
  return { value: JSON.parse(outcome.json), logs: keptLogs, logsTruncated };
}

function keepWithin(logs: ConsoleLine[], maxBytes: number): ConsoleLine[] {
  const kept: ConsoleLine[] = [];
  let bytes = 0;
  for (const entry of logs) {
    bytes += Buffer.byteLength(entry.line) + 1;
    if (bytes > maxBytes) break;
    kept.push(entry);
  }
  return kept;
}

function classifyFailure(
  error: Error,
  state: { timedOut: boolean; disposed: boolean; limits: { memoryMb: number; timeoutMs: number } },
): SandboxError {
  const message = String(error?.message ?? error);
  if (/memory limit/i.test(message)) {
    return new SandboxError('memory', `the script used more than ${state.limits.memoryMb} MB of memory`);
  }
  if (state.timedOut || /timed out/i.test(message)) {
    return new SandboxError('timeout', `the script ran longer than ${state.limits.timeoutMs} ms`);
  }
  if (state.disposed) {
    return new SandboxError('memory', `the script used more than ${state.limits.memoryMb} MB of memory`);
  }
  return new SandboxError('script_error', message.slice(0, 2000));
}
