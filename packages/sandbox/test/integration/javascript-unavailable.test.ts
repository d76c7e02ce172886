import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// RUN JAVASCRIPT on a server whose isolate runtime is missing: each process is a real Node started
// as the services start (--no-node-snapshot), one of them with isolated-vm failing to load. The
// compiler is told to refuse the keyword with the reason, and a run that still gets there fails
// with that reason, never a crash.

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

async function report(...preload: string[]) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--no-node-snapshot', ...preload, '--import', 'tsx', fixture('run-javascript-report.ts')],
    { cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 60_000 },
  );
  return JSON.parse(stdout) as { refusals: { runJavaScript?: string }; runtime: string };
}

describe('RUN JAVASCRIPT without its runtime', () => {
  it('is refused at compile time with the reason, and a run that gets there fails saying so', async () => {
    const missing = await report('--require', fixture('without-isolated-vm.cjs'));
    expect(missing.refusals.runJavaScript).toMatch(
      /^is unavailable on this server: the isolated-vm addon could not be loaded \(Cannot find module 'isolated-vm'/,
    );
    expect(missing.runtime).toMatch(/^unavailable on this server: the isolated-vm addon could not be loaded/);
  });

  it('is offered where the runtime loads', async () => {
    expect(await report()).toEqual({ refusals: {}, runtime: 'answered 2' });
  });
});
