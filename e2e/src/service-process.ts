import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Conduit's service packages, as this package declares them. */
export type ServicePackage =
  | '@conduit/identity'
  | '@conduit/knowledge-base'
  | '@conduit/conversation'
  | '@conduit/analytics'
  | '@conduit/email-sync'
  | '@conduit/workflow-engine'
  | '@conduit/workspace'
  | '@conduit/gateway';

export interface ServiceProcess {
  child: ChildProcess;
  /** What the process has written so far (stdout and stderr). */
  output(): string;
  /** Resolves once a line containing `text` has been written; rejects if the process exits first. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

/** The directory of a service package, resolved as any dependency is (no relative paths). */
export const packageDir = (name: ServicePackage) => dirname(require.resolve(`${name}/package.json`));

/**
 * Runs one of a service's entrypoints (`server`, `worker`) as its own Node process, as `pnpm
 * start` and the container image do, with the given environment on top of this one's.
 */
export function startServiceProcess(
  name: ServicePackage,
  entry: 'server' | 'worker',
  env: Record<string, string>,
): ServiceProcess {
  const cwd = packageDir(name);
  const child = spawn(process.execPath, ['--import', 'tsx', join('src', `${entry}.ts`)], {
    cwd,
    env: { ...process.env, LOG_PRETTY: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    if (process.env.TEST_LOG_LEVEL) process.stderr.write(chunk);
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => output,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    waitForOutput(text, timeoutMs = 60_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!output.includes(text)) return;
          cleanUp();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanUp();
          reject(new Error(`${name} ${entry} did not say "${text}" in ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        const cleanUp = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        exited.then(() => {
          if (!listeners.has(check)) return;
          cleanUp();
          reject(new Error(`${name} ${entry} exited before saying "${text}":\n${output}`));
        });
        check();
      });
    },
  };
}

export { freePort } from '@conduit/testing';
