import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '@conduit/testing';
import { deferCleanup } from './cleanup.js';

/** Each server's output, appended run after run (`*.log` is git-ignored). */
const logDir = fileURLToPath(new URL('../results/logs/', import.meta.url));

/**
 * Last resort if this process dies without running its cleanups: every child still running is
 * killed. One listener for all of them (a scenario with two stacks starts more than the ten
 * listeners Node allows before it warns).
 */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ChildService {
  name: string;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The process id (for reading its CPU time from /proc). */
  pid: number;
  /** SIGTERM (the service closes with grace), SIGKILL if it is still there after 5 s. */
  stop(): Promise<void>;
}

export interface ChildServiceOptions {
  name: string;
  /** A TypeScript entry point, run as `node --import tsx <entry>` (what `tsx <entry>` does, in one process). */
  entry: string;
  cwd: string;
  port: number;
  env: Record<string, string>;
  /** Polled until it answers 200. */
  readyPath: string;
  readyTimeoutMs?: number;
}

/**
 * Starts a server in a process of its own, so that the load generator never shares its event loop,
 * and waits until it is ready. Its output goes to `bench/results/logs/<name>.log`. Stopping is
 * registered as a cleanup at once, so the process never outlives the run.
 */
export async function startChildService(options: ChildServiceOptions): Promise<ChildService> {
  const url = `http://127.0.0.1:${options.port}`;
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of every server when it stops (open it in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.BENCH_CPU_PROF)}`]
    : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', options.entry], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  running.add(child);
  void exited.then(() => running.delete(child));
  // The output goes to a log file, not between the tables; at the end the run says how much there was.
  const logFile = join(logDir, `${options.name}.log`);
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(logFile, { flags: 'a' });
  log.write(`--- ${new Date().toISOString()} ${options.entry} on ${url}\n`);
  const tail: string[] = [];
  let lines = 0;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines++;
      tail.push(line);
      if (tail.length > 30) tail.shift();
      log.write(`${line}\n`);
    });
  }
  void exited.then(() => {
    log.end();
    if (lines > 0)
      process.stderr.write(
        `[${options.name}] wrote ${lines} log line(s) to ${logFile}; the last:\n  ${tail.at(-1)?.slice(0, 300)}\n`,
      );
  });

  const stop = deferCleanup(() => stopChild(child, exited));
  try {
    await waitUntilReady(`${url}${options.readyPath}`, exited, options.readyTimeoutMs ?? 90_000);
  } catch (error) {
    await stop();
    throw new Error(`${options.name} did not become ready: ${(error as Error).message}\n${tail.join('\n')}`);
  }
  return { name: options.name, url, pid: child.pid ?? 0, stop };
}

async function waitUntilReady(url: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`the process exited with code ${exitCode}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.ok) return;
      last = `${url} answered ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`not ready after ${timeoutMs} ms (${last})`);
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export { freePort } from '@conduit/testing';

const serversDir = fileURLToPath(new URL('../servers/', import.meta.url));

/** One of `bench/servers/` as a process of its own on a free port (given as PORT), ready when `readyPath` answers. */
export async function startBenchServer(
  name: string,
  env: Record<string, string> = {},
  readyPath = '/ready',
): Promise<ChildService> {
  const port = await freePort();
  return startChildService({
    name,
    entry: `${serversDir}${name}.ts`,
    cwd: join(serversDir, '..'),
    port,
    env: { PORT: String(port), ...env },
    readyPath,
  });
}
