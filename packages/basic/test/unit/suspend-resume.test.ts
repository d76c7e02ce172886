import { describe, expect, it } from 'vitest';
import { compile, type Program, type RunResult, resume, run } from '../../src/index.js';
import { expectDone, expectError, mustCompile, recordingHost, resumeJson } from '../recording-host.js';

/** Runs a script, answering each HEAR from `answers` through a JSON round trip of the state. */
async function converse(source: string, answers: string[]) {
  const recorder = recordingHost();
  const program = mustCompile(source);
  let result: RunResult = await run(program, { host: recorder.host });
  const suspensions: RunResult[] = [];
  const queue = [...answers];
  while (result.status === 'suspended') {
    suspensions.push(result);
    const answer = result.reason === 'hear' ? queue.shift() : undefined;
    if (result.reason === 'hear' && answer === undefined) break;
    result = await resumeJson(program, result, answer, recorder.host);
  }
  return { ...recorder, program, result, suspensions };
}

describe('suspend and resume across a JSON round trip', () => {
  it('suspends at HEAR with the prompt and continues with the answer', async () => {
    const c = await converse('TALK "Name?"\nHEAR name\nTALK "Hi " & name', ['Ana']);
    expect(c.suspensions[0]).toMatchObject({
      status: 'suspended',
      reason: 'hear',
      prompt: { variable: 'name', type: 'STRING', options: null },
      reask: null,
    });
    expect(c.talks).toEqual(['Name?', 'Hi Ana']);
    expect(expectDone(c.result).variables.name).toBe('Ana');
  });

  it('produces a state that is plain JSON', async () => {
    const c = await converse('x = [1, {"a": 2}]\nHEAR y', []);
    const suspended = c.suspensions[0] as Extract<RunResult, { status: 'suspended' }>;
    expect(JSON.parse(JSON.stringify(suspended.state))).toEqual(suspended.state);
    expect(suspended.state).toMatchObject({
      engine: 'conduit-basic',
      version: 1,
      program: c.program.hash,
      waiting: 'hear',
    });
  });

  it('resumes inside a FOR loop', async () => {
    const c = await converse(
      'total = 0\nFOR i = 1 TO 3 STEP 1\n  HEAR n AS NUMBER\n  total = total + n * i\nNEXT i\nTALK total',
      ['1', '2', '3'],
    );
    expect(c.suspensions).toHaveLength(3);
    expect(c.talks).toEqual(['14']);
  });

  it('resumes inside a FOR EACH loop over a list built before the suspension', async () => {
    const c = await converse(
      'answers = {}\nFOR EACH q IN ["colour", "food"]\n  TALK "Favourite " & q & "?"\n  HEAR a\n  answers[q] = a\nNEXT\nRETURN answers',
      ['blue', 'rice'],
    );
    expect(c.talks).toEqual(['Favourite colour?', 'Favourite food?']);
    expect(expectDone(c.result).value).toEqual({ colour: 'blue', food: 'rice' });
  });

  it('resumes inside DO WHILE, DO ... LOOP UNTIL and WHILE loops', async () => {
    const doWhile = await converse(
      'n = 0\nDO WHILE n < 10\n  HEAR inc AS INTEGER\n  n = n + inc\nLOOP\nTALK n',
      ['4', '5', '6'],
    );
    expect(doWhile.talks).toEqual(['15']);
    const doUntil = await converse('DO\n  HEAR ok AS BOOLEAN\nLOOP UNTIL ok\nTALK "done"', [
      'no',
      'n',
      'yes',
    ]);
    expect(doUntil.suspensions).toHaveLength(3);
    expect(doUntil.talks).toEqual(['done']);
    const whileLoop = await converse('s = ""\nWHILE LEN(s) < 3\n  HEAR c\n  s = s & c\nWEND\nTALK s', [
      'a',
      'b',
      'c',
    ]);
    expect(whileLoop.talks).toEqual(['abc']);
  });

  it('resumes inside nested SUB and FUNCTION calls, with the call stack and locals intact', async () => {
    const source = `FUNCTION AskNumber(question, factor)
  TALK question
  HEAR n AS NUMBER
  AskNumber = n * factor
END FUNCTION
SUB Survey(label)
  DIM local = "kept"
  a = AskNumber(label & " A?", 2) + AskNumber(label & " B?", 3)
  TALK label & ": " & a & " " & local
END SUB
CALL Survey("S1")
TALK "total " & (AskNumber("C?", 1) + 1)`;
    const c = await converse(source, ['1', '2', '5']);
    const first = c.suspensions[0] as Extract<RunResult, { status: 'suspended' }>;
    expect(first.state.frames.map((f) => f.unit)).toEqual([0, 2, 1]);
    expect(c.talks).toEqual(['S1 A?', 'S1 B?', 'S1: 8 kept', 'C?', 'total 6']);
  });

  it('resumes inside recursion', async () => {
    const source = `FUNCTION Collect(n)
  IF n = 0 THEN RETURN ""
  HEAR w
  Collect = w & Collect(n - 1)
END FUNCTION
TALK Collect(3)`;
    const c = await converse(source, ['x', 'y', 'z']);
    expect(c.talks).toEqual(['xyz']);
  });

  it('resumes inside SELECT CASE', async () => {
    const source = `choice = "b"
SELECT CASE choice
  CASE "a"
    TALK "A"
  CASE "b"
    HEAR detail
    TALK "B " & detail
  CASE ELSE
    TALK "other"
END SELECT
TALK "end"`;
    const c = await converse(source, ['more']);
    expect(c.talks).toEqual(['B more', 'end']);
  });

  it('suspends at WAIT with seconds and continues after it without an answer', async () => {
    const recorder = recordingHost();
    const program = mustCompile('FOR i = 1 TO 2\n  TALK "tick " & i\n  WAIT 1.5\nNEXT\nTALK "done"');
    const first = await run(program, { host: recorder.host, now: () => new Date('2025-01-01T00:00:00Z') });
    expect(first).toMatchObject({
      status: 'suspended',
      reason: 'wait',
      seconds: 1.5,
      resumeAt: '2025-01-01T00:00:01.500Z',
    });
    const second = await resumeJson(program, first, undefined, recorder.host);
    expect(second).toMatchObject({ status: 'suspended', reason: 'wait' });
    expectDone(await resumeJson(program, second, 'ignored', recorder.host));
    expect(recorder.talks).toEqual(['tick 1', 'tick 2', 'done']);
  });

  it('keeps shared references and cycles exact across the round trip', async () => {
    const source = `a = [1]
b = a
node = {"name": "n"}
node.self = node
HEAR x
b[1] = 2
TALK JOIN(a, ",") & " " & node.self.self.name`;
    const c = await converse(source, ['go']);
    expect(c.talks).toEqual(['1,2 n']);
  });

  it('resumes in another process without the original program object', async () => {
    const source = 'HEAR name\nTALK "Hi " & name';
    const recorder = recordingHost();
    const first = await run(mustCompile(source), { host: recorder.host });
    const stored = JSON.stringify((first as Extract<RunResult, { status: 'suspended' }>).state);
    const recompiled = mustCompile(`' a new comment\n  HEAR name\nTALK "Hi " & name   ' same code`);
    const result = await resume(recompiled, JSON.parse(stored), 'Bo', { host: recorder.host });
    expectDone(result);
    expect(recorder.talks).toEqual(['Hi Bo']);
  });
});

describe('HEAR validation and re-ask', () => {
  // Behaviour: an answer that does not fit the type is not stored; the engine TALKs a re-ask message
  // saying what it expects and suspends again at the same HEAR, with `reask` set to that message.
  it.each([
    ['NUMBER', ['many', '1,5'], 1.5],
    ['NUMBER', ['1,234.50'], 1234.5],
    ['INTEGER', ['2.5', '3'], 3],
    ['BOOLEAN', ['maybe', 'Yes'], true],
    ['BOOLEAN', ['no'], false],
    ['EMAIL', ['ana@', 'ana@example.com'], 'ana@example.com'],
    ['DATE', ['31/02/2025', '31/12/2025'], '2025-12-31'],
    ['DATE', ['2025-03-01'], '2025-03-01'],
    ['DATE', ['12/25/2025'], '2025-12-25'],
    ['HOUR', ['25:00', '2:30 pm'], '14:30'],
    ['HOUR', ['9h05'], '09:05'],
    ['MONEY', ['lots', '$1,250.5'], 1250.5],
    ['MONEY', ['R$ 10,50'], 10.5],
    ['MOBILE', ['123', '+1 (555) 123-4567'], '+15551234567'],
    ['ZIPCODE', ['12', '90210'], '90210'],
    ['ZIPCODE', ['01310-100'], '01310-100'],
    ['ZIPCODE', ['sw1a 1aa'], 'SW1A 1AA'],
    ['STRING', ['   ', ' Ana '], 'Ana'],
  ])('HEAR AS %s accepts %j as %j', async (type, answers, expected) => {
    const c = await converse(`HEAR v AS ${type}\nRETURN v`, answers);
    expect(expectDone(c.result).value).toEqual(expected);
    const reasks = c.suspensions.slice(1) as Extract<RunResult, { reason: 'hear' }>[];
    expect(reasks).toHaveLength(answers.length - 1);
    for (const r of reasks) {
      expect(r.reask).toMatch(/^Please /);
      expect(c.talks).toContain(r.reask);
    }
  });

  it('matches an option list case-insensitively or by number, and re-asks with the options', async () => {
    const c = await converse('HEAR size AS "Small", "Medium", "Large"\nRETURN size', ['huge', 'medium']);
    expect(expectDone(c.result).value).toBe('Medium');
    expect(c.talks).toEqual(['Please choose one of: Small, Medium, Large.']);
    expect(c.suspensions[0]).toMatchObject({ prompt: { options: ['Small', 'Medium', 'Large'] } });
    const byNumber = await converse('HEAR size AS "Small", "Medium", "Large"\nRETURN size', ['3']);
    expect(expectDone(byNumber.result).value).toBe('Large');
  });

  it('re-asks inside a loop without advancing it', async () => {
    const c = await converse('FOR i = 1 TO 2\n HEAR n AS INTEGER\n TALK i & ":" & n\nNEXT', [
      'x',
      '7',
      'y',
      '8',
    ]);
    expect(c.talks).toEqual([
      'Please answer with a whole number, for example 3.',
      '1:7',
      'Please answer with a whole number, for example 3.',
      '2:8',
    ]);
  });
});

type Damaged = Record<string, unknown> & { globals: unknown[]; frames: unknown[] };

describe('refusing states that do not fit', () => {
  async function suspendedState(program: Program) {
    const first = await run(program, { host: recordingHost().host });
    if (first.status !== 'suspended') throw new Error('expected suspension');
    return JSON.parse(JSON.stringify(first.state));
  }

  it('rejects a state from an older compile of a changed script with STALE_STATE', async () => {
    const state = await suspendedState(mustCompile('HEAR name\nTALK "Hi " & name'));
    const changed = mustCompile('HEAR name\nTALK "Hello " & name');
    const r = await resume(changed, state, 'Ana', { host: recordingHost().host });
    expect(expectError(r).error).toMatchObject({ code: 'STALE_STATE' });
    expect(expectError(r).error.message).toContain('The script changed since this run was suspended');
  });

  it('rejects a state from another engine version with STALE_STATE', async () => {
    const program = mustCompile('HEAR name');
    const state = await suspendedState(program);
    state.version = 0;
    const r = await resume(program, state, 'x', { host: recordingHost().host });
    expect(expectError(r).error.code).toBe('STALE_STATE');
  });

  it.each([
    ['not an object', () => 'nonsense'],
    [
      'a frame pointing outside the code',
      (s: Damaged) => ({ ...s, frames: [{ unit: 0, pc: 9999, locals: null }] }),
    ],
    ['a dangling heap reference', (s: Damaged) => ({ ...s, globals: s.globals.map(() => ({ $ref: 42 })) })],
    ['a wrong number of variables', (s: Damaged) => ({ ...s, globals: [] })],
    ['an unknown routine', (s: Damaged) => ({ ...s, frames: [...s.frames, { unit: 7, pc: 0, locals: [] }] })],
    [
      'a non-finite number',
      (s: Damaged) => ({ ...s, globals: s.globals.map(() => Number.POSITIVE_INFINITY) }),
    ],
  ])('rejects a damaged state (%s) with INVALID_STATE', async (_label, damage) => {
    const program = mustCompile('x = [1, 2]\nHEAR name');
    const state = await suspendedState(program);
    const r = await resume(program, damage(state), 'x', { host: recordingHost().host });
    expect(expectError(r).error.code).toBe('INVALID_STATE');
  });

  it('requires an answer when resuming a HEAR', async () => {
    const program = mustCompile('HEAR name');
    const state = await suspendedState(program);
    const r = await resume(program, state, undefined, { host: recordingHost().host });
    expect(expectError(r).error.code).toBe('MISSING_ANSWER');
  });

  it('reports a program that did not compile instead of throwing', async () => {
    const failed = compile('IF');
    expect(failed.ok).toBe(false);
    const r = await run(undefined as unknown as Program, { host: {} });
    expect(expectError(r).error.code).toBe('ARGUMENT_ERROR');
  });
});
