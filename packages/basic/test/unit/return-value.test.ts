import { describe, expect, it } from 'vitest';
import { compile, run } from '../../src/index.js';

// RETURN in the main program ends the script with its value, also when the value is a keyword's
// answer (a WEBHOOK script's `RETURN GET ...`): the keyword runs before the script ends.

const runScript = async (source: string) => {
  const compiled = compile(source);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return run(compiled.program, {
    host: { runJavaScript: async () => 42, getBotMemory: async (key) => `memory of ${key}` },
  });
};

describe('RETURN in the main program', () => {
  it("answers a keyword's value, and a FUNCTION's", async () => {
    expect(await runScript('RETURN RUN JAVASCRIPT "6 * 7"')).toMatchObject({ status: 'done', value: 42 });
    expect(await runScript('RETURN {"m": GET BOT MEMORY "k"}')).toMatchObject({
      status: 'done',
      value: { m: 'memory of k' },
    });
    expect(
      await runScript('FUNCTION twice(x)\n  twice = x * 2\nEND FUNCTION\nRETURN twice(RUN JAVASCRIPT "1")'),
    ).toMatchObject({ status: 'done', value: 84 });
    expect(await runScript('x = 1\nRETURN\nx = GET BOT MEMORY "never"')).toMatchObject({
      status: 'done',
      value: null,
    });
  });
});
