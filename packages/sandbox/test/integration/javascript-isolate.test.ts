import { describe, expect, it } from 'vitest';
import { javaScriptAvailability, readSandboxSettings, runJavaScript, SandboxError } from '../../src/index.js';

const settings = readSandboxSettings({ SANDBOX_MAX_OUTPUT_BYTES: '100000' });
const limits = { memoryMb: 32, timeoutMs: 2_000, settings };

async function failure(code: string, options: Partial<Parameters<typeof runJavaScript>[1]> = {}) {
  const error = await runJavaScript(code, { ...limits, ...options }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SandboxError);
  return error as SandboxError;
}

/** After every failure the host must still run the next script. */
async function expectStillWorks() {
  await expect(runJavaScript('6 * 7', limits)).resolves.toMatchObject({ value: 42 });
}

describe('runJavaScript', () => {
  it('is available in a process started with --no-node-snapshot', () => {
    expect(javaScriptAvailability()).toEqual({ available: true });
  });

  it('returns the completion value of a correct script, computed from its input', async () => {
    const result = await runJavaScript(
      'input.items.reduce((sum, item) => sum + item.price, 0) * input.rate',
      {
        ...limits,
        input: { items: [{ price: 2 }, { price: 3 }], rate: 10 },
      },
    );
    expect(result).toEqual({ value: 50, logs: [], logsTruncated: false });
  });

  it('round-trips its input unchanged', async () => {
    const input = { name: 'Zoë', tags: ['a', 'b'], nested: { n: 1.5, ok: true, none: null } };
    await expect(runJavaScript('input', { ...limits, input })).resolves.toMatchObject({ value: input });
    await expect(runJavaScript('typeof input', limits)).resolves.toMatchObject({ value: 'undefined' });
  });

  it('awaits a promise result', async () => {
    const result = await runJavaScript('(async () => { await null; return { done: input * 2 }; })()', {
      ...limits,
      input: 21,
    });
    expect(result.value).toEqual({ done: 42 });
  });

  it('captures the console and caps it', async () => {
    const result = await runJavaScript('console.log("hi", { x: 1 }); console.error("bad"); 1', limits);
    expect(result.logs).toEqual([
      { level: 'log', line: 'hi {"x":1}' },
      { level: 'error', line: 'bad' },
    ]);
    const small = readSandboxSettings({ SANDBOX_MAX_OUTPUT_BYTES: '1000' });
    const flood = await runJavaScript('for (let i = 0; i < 10000; i++) console.log("line " + i); "done"', {
      ...limits,
      settings: small,
    });
    expect(flood.value).toBe('done');
    expect(flood.logsTruncated).toBe(true);
    expect(flood.logs[0]).toEqual({ level: 'log', line: 'line 0' });
    expect(flood.logs.reduce((sum, entry) => sum + entry.line.length + 1, 0)).toBeLessThanOrEqual(1000);
  });

  it('stops a loop that runs forever with a timeout', async () => {
    const started = Date.now();
    const error = await failure('while (true) {}', { timeoutMs: 300 });
    expect(error.code).toBe('timeout');
    expect(error.message).toBe('the script ran longer than 300 ms');
    expect(Date.now() - started).toBeLessThan(15_000);
    await expectStillWorks();
  });

  it('stops a loop that runs forever after an await, and a promise that never settles', async () => {
    expect((await failure('(async () => { await null; while (true) {} })()', { timeoutMs: 300 })).code).toBe(
      'timeout',
    );
    expect((await failure('new Promise(() => {})', { timeoutMs: 300 })).code).toBe('timeout');
    await expectStillWorks();
  });

  it('stops unbounded allocation at the memory limit', async () => {
    const error = await failure('const kept = []; while (true) kept.push(new Array(100000).fill(1.5));', {
      memoryMb: 32,
      timeoutMs: 20_000,
    });
    expect(error.code).toBe('memory');
    expect(error.message).toBe('the script used more than 32 MB of memory');
    const buffers = await failure(
      'const kept = []; while (true) kept.push(new ArrayBuffer(4 * 1024 * 1024));',
      {
        memoryMb: 32,
        timeoutMs: 20_000,
      },
    );
    expect(buffers).toMatchObject({ code: 'memory', message: 'the script used more than 32 MB of memory' });
    await expectStillWorks();
  });

  it('refuses a result larger than the cap', async () => {
    const error = await failure('"x".repeat(200000)');
    expect(error.code).toBe('output_too_large');
    expect(error.message).toBe('the result is larger than 100000 bytes');
    await expectStillWorks();
  });

  it('reports a thrown error, a syntax error and a result that is not JSON as script errors', async () => {
    const thrown = await failure('throw new TypeError("boom")');
    expect(thrown.code).toBe('script_error');
    expect(thrown.message).toBe('TypeError: boom');
    const syntax = await failure('let = ;');
    expect(syntax.code).toBe('script_error');
    expect(syntax.message).toMatch(/^SyntaxError: /);
    const bigint = await failure('10n');
    expect(bigint.code).toBe('script_error');
    expect(bigint.message).toMatch(/BigInt/);
    await expectStillWorks();
  });

  it('offers no require, process, network, timers or modules: /etc/passwd and sockets are out of reach', async () => {
    const globals = await runJavaScript(
      `['require', 'process', 'fetch', 'XMLHttpRequest', 'WebSocket', 'setTimeout', 'setInterval', 'Buffer', 'module', 'WebAssembly']
         .map((name) => typeof globalThis[name])`,
      limits,
    );
    expect(globals.value).toEqual(Array(10).fill('undefined'));
    const readFile = await failure('import("node:fs").then((fs) => fs.readFileSync("/etc/passwd", "utf8"))');
    expect(readFile.code).toBe('script_error');
    const socket = await failure('import("node:net").then((net) => net.connect(5432, "127.0.0.1"))');
    expect(socket.code).toBe('script_error');
    // The host's own objects do not leak in through the input either: it crosses as JSON text.
    await expect(
      runJavaScript('Object.getPrototypeOf(input) === Object.prototype', { ...limits, input: {} }),
    ).resolves.toMatchObject({
      value: true,
    });
  });

  it('keeps concurrent runs apart: one stuck in a loop delays none of the others', async () => {
    const started = Date.now();
    const [stuck, ...others] = await Promise.allSettled([
      runJavaScript('while (true) {}', { ...limits, timeoutMs: 3_000 }),
      ...[1, 2, 3, 4].map((n) => runJavaScript('input * 10', { ...limits, input: n })),
    ]);
    expect(stuck).toMatchObject({ status: 'rejected', reason: { code: 'timeout' } });
    expect(
      others.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.value : outcome.reason)),
    ).toEqual([10, 20, 30, 40]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
  });

  it('runs at most SANDBOX_MAX_CONCURRENT isolates at once: the next waits its turn, then is refused as busy', async () => {
    const two = readSandboxSettings({ SANDBOX_MAX_CONCURRENT: '2', SANDBOX_CONCURRENT_WAIT_MS: '300' });
    const patient = readSandboxSettings({ SANDBOX_MAX_CONCURRENT: '2', SANDBOX_CONCURRENT_WAIT_MS: '10000' });
    const stuck = [1, 2].map(() =>
      runJavaScript('while (true) {}', { ...limits, timeoutMs: 1_500, settings: two }).catch(
        (thrown: SandboxError) => thrown.code,
      ),
    );
    const started = Date.now();
    const refused = await runJavaScript('1', { ...limits, settings: two }).catch((thrown: unknown) => thrown);
    expect(refused).toBeInstanceOf(SandboxError);
    expect((refused as SandboxError).code).toBe('busy');
    expect((refused as SandboxError).message).toMatch(/already runs 2 JavaScript runs at once/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    // One that may wait longer runs as soon as a stuck run is stopped.
    await expect(
      runJavaScript('input + 1', { ...limits, input: 1, settings: patient }),
    ).resolves.toMatchObject({
      value: 2,
    });
    expect(await Promise.all(stuck)).toEqual(['timeout', 'timeout']);
    // Every turn was given back: two runs at once go straight through.
    await expect(
      Promise.all([1, 2].map((n) => runJavaScript('input', { ...limits, input: n, settings: two }))),
    ).resolves.toMatchObject([{ value: 1 }, { value: 2 }]);
  });

  it('refuses an input that is not JSON', async () => {
    const error = await runJavaScript('input', { ...limits, input: { n: 10n } }).catch(
      (thrown: SandboxError) => thrown,
    );
    expect(error).toBeInstanceOf(SandboxError);
    expect((error as SandboxError).code).toBe('script_error');
  });

  it('disposes every isolate: many runs in a row, each filling its heap, leave the host as it was', async () => {
    const runs = 60;
    const before = process.memoryUsage().rss;
    for (let run = 0; run < runs; run++) {
      const outcome = await runJavaScript(
        'const block = new Array(1000000).fill(input); throw new Error("held " + block.length)',
        {
          ...limits,
          input: run,
        },
      ).then(
        (result) => result.value,
        (error: SandboxError) => error.message,
      );
      expect(outcome).toBe('Error: held 1000000');
      const filled = await runJavaScript('new Array(1000000).fill(input).length', { ...limits, input: run });
      expect(filled.value).toBe(1_000_000);
    }
    // Each isolate held about 8 MB; kept alive, 120 of them would add about a gigabyte.
    expect(process.memoryUsage().rss - before).toBeLessThan(400 * 1024 * 1024);
  });
});
