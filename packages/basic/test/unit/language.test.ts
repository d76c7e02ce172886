import { describe, expect, it } from 'vitest';
import { compile, run } from '../../src/index.js';
import { expectDone, expectError, runScript } from '../recording-host.js';

async function talks(source: string, options = {}): Promise<string[]> {
  const r = await runScript(source, options);
  expectDone(r.result);
  return r.talks;
}

async function value(expression: string): Promise<unknown> {
  const r = await runScript(`RETURN ${expression}`, { now: () => new Date(2025, 2, 31, 14, 5, 9) });
  return expectDone(r.result).value;
}

describe('values and expressions', () => {
  it('assigns with and without LET, case-insensitively', async () => {
    const r = await runScript('LET a = 1\nb = A + 1\nLet C = b * 10');
    expect(expectDone(r.result).variables).toEqual({ a: 1, b: 2, C: 20 });
  });

  it('supports comments with an apostrophe and REM', async () => {
    expect(await talks('\' a comment\nREM another\nTALK "hi" \' trailing\nrem lower-case too')).toEqual([
      'hi',
    ]);
  });

  it('computes arithmetic with BASIC precedence', async () => {
    expect(await value('1 + 2 * 3')).toBe(7);
    expect(await value('(1 + 2) * 3')).toBe(9);
    expect(await value('2 ^ 3 ^ 2')).toBe(512);
    expect(await value('-2 ^ 2')).toBe(-4);
    expect(await value('7 \\ 2')).toBe(3);
    expect(await value('7 MOD 3')).toBe(1);
    expect(await value('10 / 4')).toBe(2.5);
    expect(await value('0.1 + 0.2 = 0.3 OR TRUE')).toBe(true);
  });

  it('joins text with + and &, and adds numbers with +', async () => {
    expect(await value('"a" + "b"')).toBe('ab');
    expect(await value('"n=" & 5')).toBe('n=5');
    expect(await value('"n=" + 5')).toBe('n=5');
    expect(await value('2 + 3 & 4')).toBe('54');
    expect(await value('"3" * 2')).toBe(6);
  });

  it('prints 0.1 + 0.2 as 0.3', async () => {
    expect(await talks('TALK 0.1 + 0.2')).toEqual(['0.3']);
  });

  it('compares numbers, text and mixed values', async () => {
    expect(await value('3 < 10')).toBe(true);
    expect(await value('"3" < 10')).toBe(true);
    expect(await value('"apple" < "banana"')).toBe(true);
    expect(await value('5 = "5"')).toBe(true);
    expect(await value('1 <> 2')).toBe(true);
    expect(await value('2 >= 2 AND 2 <= 2')).toBe(true);
    expect(await value('NOT (1 > 2)')).toBe(true);
    expect(await value('TRUE AND FALSE')).toBe(false);
    expect(await value('FALSE OR TRUE')).toBe(true);
    expect(await value('x = ""')).toBe(true);
  });

  it('treats unset variables as Nothing', async () => {
    expect(await value('ISEMPTY(never)')).toBe(true);
    expect(await value('never + 1')).toBe(1);
    expect(await value('never = NOTHING')).toBe(true);
    expect(await talks('TALK "[" & never & "]"')).toEqual(['[]']);
  });

  it('interpolates expressions inside strings', async () => {
    const out = await talks(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: BASIC interpolation, not a JavaScript template
      'name = "Ana"\nitems = [1, 2]\nTALK "Hi ${name}, ${LEN(items)} items, ${items[1] * 10}, ""quoted"""',
    );
    expect(out).toEqual(['Hi Ana, 2 items, 20, "quoted"']);
  });

  it('reads JSON fields and list items, and writes them', async () => {
    const r = await runScript(`
      order = {"id": 7, "customer": {"name": "Ana"}, lines: [10, 20]}
      order.customer.city = "Lisbon"
      order.lines[2] = 30
      order["status"] = "open"
      list = [1, [2, 3]]
      TALK order.customer.name & " " & order.customer.city & " " & order.lines[2] & " " & list[1][0] & " " & order.status
      TALK order.missing
      cart.total = 5
      tags[0] = "new"
    `);
    const done = expectDone(r.result);
    expect(r.talks).toEqual(['Ana Lisbon 30 2 open', '']);
    expect(done.variables.cart).toEqual({ total: 5 });
    expect(done.variables.tags).toEqual(['new']);
    expect(done.variables.order).toEqual({
      id: 7,
      customer: { name: 'Ana', city: 'Lisbon' },
      lines: [10, 20, 30],
      status: 'open',
    });
  });

  it('keeps field names case-sensitive and never reaches the prototype', async () => {
    const r = await runScript(
      'o = {"Name": 1}\nTALK o.Name & "|" & o.name & "|" & o.constructor & "|" & o.__proto__\no.__proto__ = 5\nRETURN o',
    );
    expect(r.talks).toEqual(['1|||']);
    const out = expectDone(r.result).value as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
  });

  it('prints lists and objects as JSON', async () => {
    expect(await talks('TALK [1, "a", TRUE, NOTHING]\nTALK {"a": {"b": 2}}')).toEqual([
      '[1,"a",true,null]',
      '{"a":{"b":2}}',
    ]);
  });

  it('continues a statement on the next line with " _" and separates statements with ":"', async () => {
    expect(await talks('x = 1 + _\n  2 : TALK x : TALK x * 2')).toEqual(['3', '6']);
  });
});

describe('control flow', () => {
  it('runs IF / ELSEIF / ELSE / END IF', async () => {
    const src = (n: number) => `n = ${n}
IF n < 0 THEN
  TALK "negative"
ELSEIF n = 0 THEN
  TALK "zero"
ELSE IF n < 10 THEN
  TALK "small"
ELSE
  TALK "large"
END IF`;
    expect(await talks(src(-1))).toEqual(['negative']);
    expect(await talks(src(0))).toEqual(['zero']);
    expect(await talks(src(5))).toEqual(['small']);
    expect(await talks(src(50))).toEqual(['large']);
  });

  it('runs the one-line IF form with ELSE and several statements', async () => {
    expect(
      await talks(
        'x = 2\nIF x > 1 THEN TALK "big" : TALK "yes" ELSE TALK "small"\nIF x > 5 THEN TALK "no" ELSE TALK "else"',
      ),
    ).toEqual(['big', 'yes', 'else']);
  });

  it('accepts ENDIF', async () => {
    expect(await talks('IF TRUE THEN\n TALK 1\nENDIF')).toEqual(['1']);
  });

  it('runs FOR ... NEXT with STEP, negative STEP and an empty range', async () => {
    expect(await talks('FOR i = 1 TO 3\n TALK i\nNEXT i')).toEqual(['1', '2', '3']);
    expect(await talks('FOR i = 10 TO 0 STEP -5\n TALK i\nNEXT')).toEqual(['10', '5', '0']);
    expect(await talks('FOR i = 0 TO 1 STEP 0.5\n TALK i\nNEXT')).toEqual(['0', '0.5', '1']);
    expect(await talks('FOR i = 5 TO 1\n TALK i\nNEXT\nTALK "after " & i')).toEqual(['after 5']);
  });

  it('leaves the FOR variable one STEP past the end, as BASIC does', async () => {
    const r = await runScript('FOR i = 1 TO 3\nNEXT');
    expect(expectDone(r.result).variables.i).toBe(4);
  });

  it('runs FOR EACH over lists and object keys', async () => {
    expect(await talks('FOR EACH x IN ["a", "b"]\n TALK x\nNEXT x')).toEqual(['a', 'b']);
    expect(await talks('o = {"k1": 1, "k2": 2}\nFOR EACH k IN o\n TALK k & "=" & o[k]\nNEXT')).toEqual([
      'k1=1',
      'k2=2',
    ]);
    expect(await talks('FOR EACH x IN []\n TALK x\nNEXT\nTALK "none"')).toEqual(['none']);
  });

  it('runs DO WHILE, DO UNTIL, LOOP WHILE, LOOP UNTIL and WHILE ... WEND', async () => {
    expect(await talks('i = 0\nDO WHILE i < 3\n i = i + 1\nLOOP\nTALK i')).toEqual(['3']);
    expect(await talks('i = 0\nDO UNTIL i = 2\n i = i + 1\nLOOP\nTALK i')).toEqual(['2']);
    expect(await talks('i = 10\nDO\n i = i + 1\nLOOP WHILE i < 5\nTALK i')).toEqual(['11']);
    expect(await talks('i = 0\nDO\n i = i + 2\nLOOP UNTIL i >= 6\nTALK i')).toEqual(['6']);
    expect(await talks('i = 0\nWHILE i < 4\n i = i + 1\nWEND\nTALK i')).toEqual(['4']);
    expect(await talks('i = 0\nWHILE i < 2\n i = i + 1\nEND WHILE\nTALK i')).toEqual(['2']);
  });

  it('leaves loops with EXIT FOR and EXIT DO', async () => {
    expect(await talks('FOR i = 1 TO 100\n IF i = 3 THEN EXIT FOR\nNEXT\nTALK i')).toEqual(['3']);
    expect(await talks('FOR EACH x IN [1, 2, 3]\n IF x = 2 THEN EXIT FOR\n TALK x\nNEXT')).toEqual(['1']);
    expect(await talks('i = 0\nDO\n i = i + 1\n IF i = 4 THEN EXIT DO\nLOOP\nTALK i')).toEqual(['4']);
    expect(await talks('i = 0\nWHILE TRUE\n i = i + 1\n IF i = 2 THEN EXIT WHILE\nWEND\nTALK i')).toEqual([
      '2',
    ]);
    expect(
      await talks(
        'FOR i = 1 TO 2\n j = 0\n DO\n  j = j + 1\n  IF j = 2 THEN EXIT DO\n LOOP\n TALK i & ":" & j\nNEXT',
      ),
    ).toEqual(['1:2', '2:2']);
  });

  it('runs SELECT CASE with values, lists, ranges, IS and CASE ELSE', async () => {
    const src = (v: string) => `SELECT CASE ${v}
  CASE 1, 2
    TALK "one or two"
  CASE 3 TO 5
    TALK "three to five"
  CASE IS > 100
    TALK "huge"
  CASE ELSE
    TALK "other"
END SELECT`;
    expect(await talks(src('2'))).toEqual(['one or two']);
    expect(await talks(src('4'))).toEqual(['three to five']);
    expect(await talks(src('101'))).toEqual(['huge']);
    const colours = (v: string) =>
      `SELECT CASE ${v}\nCASE "red", "blue"\n TALK "primary"\nCASE "a" TO "m"\n TALK "early"\nCASE ELSE\n TALK "late"\nEND SELECT`;
    expect(await talks(colours('"blue"'))).toEqual(['primary']);
    expect(await talks(colours('"green"'))).toEqual(['early']);
    expect(await talks(colours('"zebra"'))).toEqual(['late']);
    expect(await talks(src('50'))).toEqual(['other']);
  });

  it('calls SUBs with CALL, with parentheses and with bare arguments', async () => {
    const src = `SUB Greet(who, punct)
  TALK "Hello " & who & punct
END SUB
SUB Ping
  TALK "ping"
END SUB
CALL Greet("Ana", "!")
Greet("Bo", "?")
Greet "Cy", "."
Ping
CALL Ping`;
    expect(await talks(src)).toEqual(['Hello Ana!', 'Hello Bo?', 'Hello Cy.', 'ping', 'ping']);
  });

  it('returns from FUNCTIONs by RETURN or by assigning the function name, recursively', async () => {
    const src = `FUNCTION Fact(n)
  IF n <= 1 THEN RETURN 1
  RETURN n * Fact(n - 1)
END FUNCTION
FUNCTION Twice(x)
  Twice = x * 2
END FUNCTION
TALK Fact(6) + Twice(Twice(1))`;
    expect(await talks(src)).toEqual(['724']);
  });

  it('shares main-program variables with routines and keeps the others local', async () => {
    const src = `count = 0
SUB Bump
  count = count + 1
  temp = 99
END SUB
FUNCTION Peek()
  Peek = temp
END FUNCTION
FUNCTION Shadow(count)
  DIM total = count * 10
  Shadow = total
END FUNCTION
Bump
Bump
TALK count & " " & Shadow(5) & " " & count & " [" & Peek() & "]"`;
    const r = await runScript(src);
    expect(r.talks).toEqual(['2 50 2 []']);
    expect(Object.keys(expectDone(r.result).variables)).toEqual(['count']);
  });

  it('leaves routines early with EXIT SUB and EXIT FUNCTION', async () => {
    const src = `SUB S(x)
  IF x THEN EXIT SUB
  TALK "not exited"
END SUB
FUNCTION F()
  F = 1
  EXIT FUNCTION
  F = 2
END FUNCTION
S(TRUE)
S(FALSE)
TALK F()`;
    expect(await talks(src)).toEqual(['not exited', '1']);
  });

  it('ends the script with END and returns a value with RETURN', async () => {
    expect(await talks('TALK 1\nEND\nTALK 2')).toEqual(['1']);
    const r = await runScript('RETURN {"ok": TRUE}');
    expect(expectDone(r.result).value).toEqual({ ok: true });
  });
});

describe('built-in functions', () => {
  it('handles text functions', async () => {
    expect(await value('LEN("hello")')).toBe(5);
    expect(await value('LEN([1, 2, 3])')).toBe(3);
    expect(await value('UPPER("abc") & UCASE("d")')).toBe('ABCD');
    expect(await value('LOWER("ABC") & LCASE("D")')).toBe('abcd');
    expect(await value('TRIM("  x  ")')).toBe('x');
    expect(await value('LEFT("hello", 2)')).toBe('he');
    expect(await value('RIGHT("hello", 3)')).toBe('llo');
    expect(await value('MID("hello", 2, 3)')).toBe('ell');
    expect(await value('MID("hello", 3)')).toBe('llo');
    expect(await value('INSTR("hello", "l")')).toBe(3);
    expect(await value('INSTR(4, "hello", "l")')).toBe(4);
    expect(await value('INSTR("hello", "z")')).toBe(0);
    expect(await value('REPLACE("a-b-c", "-", "+")')).toBe('a+b+c');
    expect(await value('SPLIT("a,b,c", ",")')).toEqual(['a', 'b', 'c']);
    expect(await value('SPLIT("a b")')).toEqual(['a', 'b']);
    expect(await value('JOIN(["a", 1, TRUE], "|")')).toBe('a|1|true');
    expect(await value('STR(12.5) & "!"')).toBe('12.5!');
  });

  it('handles number functions', async () => {
    expect(await value('VAL("12.5kg")')).toBe(12.5);
    expect(await value('VAL("abc")')).toBe(0);
    expect(await value('INT(3.7)')).toBe(3);
    expect(await value('INT(-3.2)')).toBe(-4);
    expect(await value('ROUND(2.5)')).toBe(3);
    expect(await value('ROUND(1.005, 2)')).toBe(1.01);
    expect(await value('ROUND(-2.5)')).toBe(-3);
    expect(await value('ABS(-4)')).toBe(4);
    expect(await value('MIN(3, 1, 2)')).toBe(1);
    expect(await value('MAX([3, 9, 2])')).toBe(9);
  });

  it('handles NOW, TODAY and FORMAT from the run clock', async () => {
    expect(await value('NOW()')).toBe('2025-03-31 14:05:09');
    expect(await value('NOW')).toBe('2025-03-31 14:05:09');
    expect(await value('TODAY()')).toBe('2025-03-31');
    expect(await value('FORMAT(TODAY, "dd/MM/yyyy")')).toBe('31/03/2025');
    expect(await value('FORMAT(NOW, "yyyy-MM-dd HH:mm")')).toBe('2025-03-31 14:05');
    expect(await value('FORMAT(NOW, "h:mm tt")')).toBe('2:05 PM');
    expect(await value('FORMAT(1234.5, "#,##0.00")')).toBe('1,234.50');
    expect(await value('FORMAT(1234.5, "$#,##0.00")')).toBe('$1,234.50');
    expect(await value('FORMAT(0.256, "0.0%")')).toBe('25.6%');
    expect(await value('FORMAT(3.14159, "0.00")')).toBe('3.14');
    expect(await value('FORMAT(7, "000")')).toBe('007');
    expect(await value('FORMAT(-5.5, "0.0")')).toBe('-5.5');
    expect(await value('FORMAT(2.5, "0.##")')).toBe('2.5');
    expect(await value('FORMAT(42)')).toBe('42');
  });

  it('handles ISEMPTY and ISNUMBER', async () => {
    expect(await value('ISEMPTY("")')).toBe(true);
    expect(await value('ISEMPTY("  ")')).toBe(true);
    expect(await value('ISEMPTY([])')).toBe(true);
    expect(await value('ISEMPTY({})')).toBe(true);
    expect(await value('ISEMPTY(0)')).toBe(false);
    expect(await value('ISNUMBER("42")')).toBe(true);
    expect(await value('ISNUMBER(" 4.5 ")')).toBe(true);
    expect(await value('ISNUMBER("4x")')).toBe(false);
    expect(await value('ISNUMBER(7)')).toBe(true);
  });
});

describe('compile errors', () => {
  function errorsOf(source: string) {
    const r = compile(source);
    if (r.ok) throw new Error('expected compile errors');
    return r.errors;
  }

  it('reports line, column and an actionable message', () => {
    expect(errorsOf('x = 1\nIF x > 1\n  TALK x\nEND IF')[0]).toEqual({
      line: 2,
      column: 9,
      message: 'Expected THEN after the IF condition, found the end of the line',
    });
  });

  it('reports every broken line, not only the first', () => {
    const errors = errorsOf('x = (1 +\nTALK "ok"\ny = * 2\nz = UNKNOWNFN(1)');
    expect(errors.map((e) => e.line)).toEqual([1, 3, 4]);
  });

  it.each([
    ['FOR i = 1 TO 3\nTALK i', 1, 'FOR is missing its NEXT'],
    ['FOR i = 1 TO 3\nNEXT j', 2, 'NEXT J does not match FOR I on line 1'],
    ['NEXT', 1, 'NEXT without a matching FOR'],
    ['DO\nTALK 1', 1, 'DO is missing its LOOP'],
    ['WHILE TRUE\nTALK 1', 1, 'WHILE is missing its WEND'],
    ['IF TRUE THEN\nTALK 1', 1, 'IF is missing its END IF'],
    ['END IF', 1, 'END IF without a matching IF'],
    ['SELECT CASE 1\nCASE 1\nTALK 1', 1, 'SELECT CASE is missing its END SELECT'],
    ['SUB A\nTALK 1', 1, 'SUB A is missing its END SUB'],
    ['EXIT FOR', 1, 'EXIT FOR is not inside a FOR loop'],
    ['x = LENN("a")', 1, 'Unknown function LENN; did you mean LEN?'],
    ['Greet "x"', 1, 'Unknown SUB GREET'],
    ['x = LEFT("a")', 1, 'LEFT expects 2 arguments but got 1'],
    ['SUB A(x)\nEND SUB\nA 1, 2', 3, 'A expects 1 argument but got 2'],
    [
      'SUB A\nEND SUB\nx = A()',
      3,
      'A is a SUB and returns no value; declare it as a FUNCTION to use its result',
    ],
    ['SUB A\n RETURN 1\nEND SUB', 2, 'A SUB cannot return a value; make it a FUNCTION'],
    ['HEAR x AS COLOR', 1, 'Unknown HEAR type "COLOR"'],
    ['x = "abc', 1, 'Text is missing its closing quote (")'],
    ['x = 1 @ 2', 1, 'Unexpected character "@"'],
    ['IF = 2', 1, 'Expected a value, found "="'],
    ['SUB A\nEND SUB\nSUB A\nEND SUB', 3, 'A is declared twice'],
    ['FUNCTION Len(x)\nEND FUNCTION', 1, 'LEN is a built-in function; choose another name'],
    ['SET SCHEDULE "whenever"', 1, 'SET SCHEDULE: cannot understand "whenever"'],
    [
      'SUB A\n PARAM x AS STRING\nEND SUB',
      2,
      'PARAM belongs in the main program, not inside a SUB or FUNCTION',
    ],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: BASIC interpolation, not a JavaScript template
    ['TALK "${}"', 1, 'Empty ${} in text'],
    ['UPPER("x")', 1, 'UPPER is a function that returns a value'],
    ['DESCRIPTION "a"\nDESCRIPTION "b"', 2, 'DESCRIPTION appears twice'],
    ['SELECT CASE 1\nCASE ELSE\nCASE 2\nEND SELECT', 3, 'CASE ELSE must be the last CASE'],
    ['DO WHILE TRUE\nLOOP UNTIL FALSE', 2, 'DO has a condition at both ends; keep only one'],
    ['NOW = 1', 1, 'NOW is a built-in function and cannot be assigned'],
    ['SET SOMETHING 1', 1, 'Expected BOT MEMORY, USER MEMORY, USER FACT, CONTEXT or SCHEDULE after SET'],
  ])('%j -> line %i: %s', (source, line, message) => {
    const errors = errorsOf(source);
    expect(errors.some((e) => e.line === line && e.message.startsWith(message))).toBe(true);
  });

  it('keeps parsing the routine after an unclosed block', () => {
    const errors = errorsOf('FOR i = 1 TO 2\nSUB A\n TALK LENN("x")\nEND SUB');
    expect(errors.map((e) => e.message)).toEqual([
      'FOR is missing its NEXT',
      'Unknown function LENN; did you mean LEN?',
    ]);
  });

  it('rejects absurdly deep nesting as a compile error instead of crashing', () => {
    const source = `x = ${'('.repeat(20000)}1${')'.repeat(20000)}`;
    const r = compile(source);
    expect(r.ok).toBe(false);
  });
});

describe('runtime errors', () => {
  it.each([
    ['x = 1 / 0', 'DIVISION_BY_ZERO', 1],
    ['x = 5 MOD 0', 'DIVISION_BY_ZERO', 1],
    ['x = "abc" * 2', 'TYPE_ERROR', 1],
    ['l = [1]\nx = l[5]', 'INDEX_OUT_OF_RANGE', 2],
    ['l = [1]\nl[3] = 1', 'INDEX_OUT_OF_RANGE', 2],
    ['x = 10 ^ 400', 'NUMBER_OVERFLOW', 1],
    ['x = 5\nx.field = 1', 'TYPE_ERROR', 2],
    ['FOR i = 1 TO 5 STEP 0\nNEXT', 'ARGUMENT_ERROR', 1],
    ['FOR i = "a" TO 5\nNEXT', 'TYPE_ERROR', 1],
    ['FOR EACH x IN 5\nNEXT', 'TYPE_ERROR', 1],
    ['x = MID("abc", 0)', 'ARGUMENT_ERROR', 1],
    ['x = JOIN("abc")', 'ARGUMENT_ERROR', 1],
    ['x = [1] < 2', 'TYPE_ERROR', 1],
    ['x = "red" > 100', 'TYPE_ERROR', 1],
    ['x = FORMAT("abc", "0.00")', 'ARGUMENT_ERROR', 1],
    ['WAIT -1', 'ARGUMENT_ERROR', 1],
  ])('%j fails with %s on line %i', async (source, code, line) => {
    const r = await runScript(source);
    const { error } = expectError(r.result);
    expect(error.code).toBe(code);
    expect(error.line).toBe(line);
    expect(error.message.length).toBeGreaterThan(5);
  });

  it('points at the failing statement inside a routine', async () => {
    const r = await runScript('FUNCTION Div(a, b)\n  Div = a / b\nEND FUNCTION\nx = Div(1, 0)');
    expect(expectError(r.result).error).toMatchObject({ line: 2, column: 3, code: 'DIVISION_BY_ZERO' });
  });

  it('names the built-in in its errors', async () => {
    const r = await runScript('x = INT("many")');
    expect(expectError(r.result).error.message).toBe('Expected a number in INT but got the text "many"');
  });
});

describe('values that leave the engine', () => {
  it('are plain JSON even when the script built a cycle', async () => {
    const compiled = compile('a.f = 1\na.f = a\nl = [1]\nl[0] = l\nRETURN a');
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
    const result = await run(compiled.program, { host: {} });
    expect(result.status).toBe('done');
    if (result.status !== 'done') return;
    expect(JSON.parse(JSON.stringify(result.variables))).toEqual({
      a: { f: '[circular]' },
      l: ['[circular]'],
    });
    expect(result.value).toEqual({ f: '[circular]' });
  });
});

describe('ROUND at the edges of a double', () => {
  it('never yields NaN: far negative digits round to 0, far positive ones leave the number', async () => {
    for (const [source, expected] of [
      ['x = ROUND(0, -324)', 0],
      ['x = ROUND(123, -400)', 0],
      ['x = ROUND(1.5, 400)', 1.5],
      ['x = ROUND(1234.5678, -2)', 1200],
    ] as const) {
      const compiled = compile(source);
      if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
      const result = await run(compiled.program, { host: {} });
      expect(result).toMatchObject({ status: 'done', variables: { x: expected } });
    }
  });
});
