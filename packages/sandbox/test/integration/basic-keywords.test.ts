import { describe, expect, it } from 'vitest';
import { commandRunnersFor, readSandboxSettings, sandboxKeywords } from '../../src/index.js';

// What BASIC hosts get: the code's value (or its console), the author's message for each way a run
// ends badly, and what to tell the compiler about RUN PYTHON / RUN BASH.

const settings = readSandboxSettings({ SANDBOX_SCRIPT_TIMEOUT_MS: '500', SANDBOX_SCRIPT_MEMORY_MB: '16' });
const keywords = sandboxKeywords(settings);

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: Error) => error.message,
  );

describe('sandboxKeywords', () => {
  it("answers RUN JAVASCRIPT's value with the input, else its console lines", async () => {
    expect(await keywords.runJavaScript('input.a * 2', { a: 21 })).toBe(42);
    expect(await keywords.runJavaScript('console.log("a"); console.log(1, {b: 2})', null)).toBe(
      'a\n1 {"b":2}',
    );
    expect(await keywords.runJavaScript('typeof input', null)).toBe('undefined');
  });

  it('says what stopped the code', async () => {
    expect(await failure(keywords.runJavaScript('for (;;) {}', null))).toMatch(
      /^the code was stopped at its time limit \(the script ran longer than 500 ms\)$/,
    );
    // With time to reach its memory limit on a loaded machine before its time limit.
    const roomy = sandboxKeywords(
      readSandboxSettings({ SANDBOX_SCRIPT_TIMEOUT_MS: '20000', SANDBOX_SCRIPT_MEMORY_MB: '16' }),
    );
    expect(
      await failure(
        roomy.runJavaScript('const a = []; for (;;) a.push(new Array(1e6).fill(a.length))', null),
      ),
    ).toMatch(/^the code was stopped at its memory limit/);
    expect(await failure(keywords.runJavaScript('null.x', null))).toMatch(/^the code failed \(TypeError: /);
    const one = sandboxKeywords(
      readSandboxSettings({
        SANDBOX_SCRIPT_TIMEOUT_MS: '1000',
        SANDBOX_MAX_CONCURRENT: '1',
        SANDBOX_CONCURRENT_WAIT_MS: '100',
      }),
    );
    const stuck = failure(one.runJavaScript('for (;;) {}', null));
    expect(await failure(one.runJavaScript('1', null))).toMatch(
      /^the code was not run, the server is busy; try again shortly \(this server already runs 1 JavaScript runs at once/,
    );
    expect(await stuck).toMatch(/^the code was stopped at its time limit/);
    expect(await failure(keywords.runPython('print(1)', null))).toBe(
      'needs a sandbox runner (SANDBOX_RUNNER=bubblewrap) on this server',
    );
  });
});

describe('commandRunnersFor', () => {
  it('leaves the engine its own message with the runner off, and names what is missing when on', () => {
    expect(commandRunnersFor(settings)).toEqual({});
    const missing = readSandboxSettings({
      SANDBOX_RUNNER: 'bubblewrap',
      SANDBOX_BWRAP_PATH: '/nonexistent/bwrap',
    });
    expect(commandRunnersFor(missing)).toEqual({
      python: 'RUN PYTHON is unavailable on this server: /nonexistent/bwrap not found',
      bash: 'RUN BASH is unavailable on this server: /nonexistent/bwrap not found',
    });
  });
});
