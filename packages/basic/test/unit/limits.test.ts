import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, resume, run } from '../../src/index.js';
import { expectError, mustCompile, recordingHost, runScript } from '../recording-host.js';

describe('sandbox limits', () => {
  it('stops an endless loop at the step limit', async () => {
    const r = await runScript('DO\nLOOP', { limits: { maxSteps: 10_000 } });
    expect(expectError(r.result).error).toMatchObject({
      code: 'STEP_LIMIT',
      message: 'The script ran more than 10000 steps (is there an endless loop?)',
    });
  });

  it('stops a long run at the wall-time limit', async () => {
    const started = Date.now();
    const r = await runScript('x = 0\nDO\n x = x + 1\nLOOP', {
      limits: { maxWallTimeMs: 50, maxSteps: Number.MAX_SAFE_INTEGER },
    });
    expect(expectError(r.result).error.code).toBe('TIME_LIMIT');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops waiting for a host call that never answers at the wall-time limit', async () => {
    const recorder = recordingHost({ llm: () => new Promise(() => {}) });
    const r = await run(mustCompile('x = LLM "hang"'), {
      host: recorder.host,
      limits: { maxWallTimeMs: 50 },
    });
    expect(expectError(r).error).toMatchObject({ code: 'TIME_LIMIT', line: 1 });
  });

  it('stops text from growing past the string limit', async () => {
    const r = await runScript('s = "x"\nDO\n s = s & s\nLOOP', { limits: { maxStringLength: 5000 } });
    expect(expectError(r.result).error).toMatchObject({ code: 'STRING_LIMIT', line: 3 });
    const replace = await runScript('s = REPLACE("aaaa", "a", "bbbbbbbb")', {
      limits: { maxStringLength: 10 },
    });
    expect(expectError(replace.result).error.code).toBe('STRING_LIMIT');
  });

  it('stops lists from growing past the list limit', async () => {
    const r = await runScript('l = []\nFOR i = 0 TO 1000\n l[i] = i\nNEXT', { limits: { maxListSize: 100 } });
    expect(expectError(r.result).error).toMatchObject({
      code: 'LIST_LIMIT',
      line: 3,
      message: 'List too large: 101 items, the limit is 100',
    });
    const split = await runScript('l = SPLIT("a,b,c,d", ",")', { limits: { maxListSize: 3 } });
    expect(expectError(split.result).error.code).toBe('LIST_LIMIT');
    const fromHost = recordingHost({ httpGet: async () => new Array(50).fill(1) });
    const hostResult = await run(mustCompile('x = GET "u"'), {
      host: fromHost.host,
      limits: { maxListSize: 10 },
    });
    expect(expectError(hostResult).error.code).toBe('LIST_LIMIT');
  });

  it('stops endless recursion at the call-depth limit', async () => {
    const r = await runScript('FUNCTION F(n)\n F = F(n + 1)\nEND FUNCTION\nx = F(0)', {
      limits: { maxCallDepth: 50 },
    });
    expect(expectError(r.result).error).toMatchObject({ code: 'CALL_DEPTH_LIMIT', line: 2 });
  });

  it('has sane defaults', () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxSteps: 10_000_000,
      maxWallTimeMs: 10_000,
      maxStringLength: 1_000_000,
      maxListSize: 100_000,
      maxCallDepth: 200,
    });
  });

  it('limits each run() or resume() call separately', async () => {
    const recorder = recordingHost();
    const program = mustCompile('FOR i = 1 TO 3\n FOR j = 1 TO 100\n NEXT\n HEAR x\nNEXT');
    const limits = { maxSteps: 400 };
    let r = await run(program, { host: recorder.host, limits });
    for (let n = 0; n < 2; n++) {
      expect(r.status).toBe('suspended');
      if (r.status !== 'suspended') break;
      r = await resume(program, r.state, 'a', { host: recorder.host, limits });
    }
    expect(r.status).toBe('suspended');
  });

  it('cannot reach globals: names like process, globalThis or constructor are plain script variables', async () => {
    const r = await runScript(
      'RETURN [ISEMPTY(process), ISEMPTY(globalThis), ISEMPTY(require), ISEMPTY(x.constructor)]',
    );
    expect(r.result).toMatchObject({ status: 'done', value: [true, true, true, true] });
  });

  it('two concurrent runs keep their own limits', async () => {
    const slowHost = recordingHost({ llm: async (p) => new Promise((res) => setTimeout(() => res(p), 20)) });
    const strict = run(mustCompile('x = LLM "a"\ns = "x"\nFOR i = 1 TO 20\n s = s & s\nNEXT'), {
      host: slowHost.host,
      limits: { maxStringLength: 1000 },
    });
    const lenient = run(
      mustCompile('x = LLM "a"\ns = "x"\nFOR i = 1 TO 12\n s = s & s\nNEXT\nRETURN LEN(s)'),
      {
        host: slowHost.host,
        limits: { maxStringLength: 1_000_000 },
      },
    );
    const [a, b] = await Promise.all([strict, lenient]);
    expect(expectError(a).error.code).toBe('STRING_LIMIT');
    expect(b).toMatchObject({ status: 'done', value: 4096 });
  });
});
