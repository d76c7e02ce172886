import { describe, expect, it } from 'vitest';
import { compile, refusedKeywords } from '../../src/index.js';

// refusedKeywords: where a host refuses keywords, each use is a compile error at its own line and
// column, in routines and inside expressions too, and nothing else is.

const programOf = (source: string) => {
  const compiled = compile(source);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return compiled.program;
};

describe('refusedKeywords', () => {
  it('finds every use, in source order, with the reason', () => {
    const program = programOf(`SUB ask
  HEAR name
END SUB
TALK "x: " & LLM("hi")
answer = DELEGATE "q" TO BOT "b"
CALL ask`);
    expect(
      refusedKeywords(program, { hear: 'needs a chat', delegateToBot: 'needs a user', useKb: 'unused' }),
    ).toEqual([
      { line: 2, column: 3, message: 'HEAR needs a chat' },
      { line: 5, column: 10, message: 'DELEGATE TO BOT needs a user' },
    ]);
  });

  it('is empty for a script that uses none', () => {
    expect(refusedKeywords(programOf('x = LLM "hi"\nTALK x'), { hear: 'no' })).toEqual([]);
  });
});
