// Random well-formed programs: whatever they do, the engine answers with a result object and any
// failure is a reported script error with a known code, never an exception or an internal error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, type ErrorCode, type RunResult, resume, run } from '../../src/index.js';
import { recordingHost } from '../recording-host.js';

const VARS = ['a', 'b', 'c', 'd'];
const SCRIPT_ERRORS: ErrorCode[] = [
  'TYPE_ERROR',
  'DIVISION_BY_ZERO',
  'NUMBER_OVERFLOW',
  'INDEX_OUT_OF_RANGE',
  'ARGUMENT_ERROR',
  'STEP_LIMIT',
  'TIME_LIMIT',
  'STRING_LIMIT',
  'LIST_LIMIT',
  'CALL_DEPTH_LIMIT',
  'HOST_ERROR',
];

const { expr } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -1000, max: 1000 }).map(String),
    fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((n) => String(n)),
    fc.constantFrom(
      '"abc"',
      '""',
      '"42"',
      '"x y z"',
      'TRUE',
      'FALSE',
      'NOTHING',
      '[]',
      '[1, "a", [2]]',
      '{"f": 1}',
    ),
    fc.constantFrom(...VARS),
    fc
      .tuple(
        tie('expr'),
        fc.constantFrom('+', '-', '*', '/', 'MOD', '\\', '^', '&', '=', '<>', '<', '>=', 'AND', 'OR'),
        tie('expr'),
      )
      .map(([l, op, r]) => `(${l} ${op} ${r})`),
    tie('expr').map((e) => `NOT ${e}`),
    tie('expr').map((e) => `-(${e})`),
    fc
      .tuple(
        fc.constantFrom(
          'LEN',
          'UPPER',
          'LOWER',
          'TRIM',
          'VAL',
          'STR',
          'INT',
          'ABS',
          'ISEMPTY',
          'ISNUMBER',
          'ROUND',
          'FORMAT',
          'SPLIT',
          'Twice',
        ),
        tie('expr'),
      )
      .map(([f, e]) => `${f}(${e})`),
    fc
      .tuple(
        fc.constantFrom('LEFT', 'RIGHT', 'MID', 'INSTR', 'SPLIT', 'JOIN', 'MIN', 'MAX', 'ROUND', 'FORMAT'),
        tie('expr'),
        tie('expr'),
      )
      .map(([f, x, y]) => `${f}(${x}, ${y})`),
    fc.tuple(tie('expr'), tie('expr')).map(([l, i]) => `${l}[${i}]`),
    tie('expr').map((e) => `(${e}).f`),
    tie('expr').map((e) => `"<\${${e}}>"`),
    fc.constantFrom('NOW', 'TODAY()', 'GET BOT MEMORY "k"'),
  ),
}));

const variable = fc.constantFrom(...VARS);

const { block } = fc.letrec<{ stmt: string; block: string }>((tie) => ({
  stmt: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(variable, expr).map(([v, e]) => `${v} = ${e}`),
    fc.tuple(variable, expr, expr).map(([v, i, e]) => `${v}[${i}] = ${e}`),
    fc.tuple(variable, expr).map(([v, e]) => `${v}.f = ${e}`),
    expr.map((e) => `TALK ${e}`),
    expr.map((e) => `PRINT ${e}`),
    fc
      .tuple(
        variable,
        fc.constantFrom(
          'STRING',
          'NUMBER',
          'INTEGER',
          'BOOLEAN',
          'EMAIL',
          'DATE',
          'HOUR',
          'MONEY',
          'MOBILE',
          'ZIPCODE',
          '"yes", "no"',
        ),
      )
      .map(([v, t]) => `HEAR ${v} AS ${t}`),
    fc.constant('WAIT 0'),
    expr.map((e) => `SET BOT MEMORY "k", ${e}`),
    expr.map((e) => `CALL Show(${e})`),
    fc.tuple(expr, tie('block'), tie('block')).map(([c, t, e]) => `IF ${c} THEN\n${t}\nELSE\n${e}\nEND IF`),
    fc.tuple(expr, tie('stmt')).map(([c, s]) => `IF ${c} THEN ${s.includes('\n') ? 'x = 1' : s}`),
    fc
      .tuple(fc.integer({ min: -2, max: 4 }), fc.integer({ min: -2, max: 4 }), tie('block'))
      .map(([from, to, body]) => `FOR i = ${from} TO ${to}\n${body}\nIF i > 2 THEN EXIT FOR\nNEXT i`),
    fc.tuple(expr, tie('block')).map(([list, body]) => `FOR EACH e IN ${list}\n${body}\nNEXT`),
    fc
      .tuple(expr, tie('block'))
      .map(([c, body]) => `n = 0\nDO WHILE ${c}\n${body}\nn = n + 1\nIF n > 3 THEN EXIT DO\nLOOP`),
    fc
      .tuple(expr, expr, tie('block'), tie('block'))
      .map(
        ([subject, value, body, other]) =>
          `SELECT CASE ${subject}\nCASE ${value}, 1\n${body}\nCASE 2 TO 5\nTALK 5\nCASE ELSE\n${other}\nEND SELECT`,
      ),
  ),
  block: fc.array(tie('stmt'), { maxLength: 4 }).map((lines) => lines.join('\n')),
}));

const program = block.map(
  (main) => `${main}
SUB Show(v)
  TALK "show " & v
END SUB
FUNCTION Twice(v)
  Twice = v + v
END FUNCTION`,
);

const answers = fc.array(
  fc.constantFrom(
    '',
    'abc',
    '42',
    '3.5',
    'yes',
    'no',
    'a@b.co',
    '2025-01-31',
    '14:30',
    '$10',
    '+1 555 123 4567',
    '90210',
  ),
  {
    maxLength: 6,
  },
);

describe('random well-formed programs', () => {
  it('never throw out of the engine; failures are reported script errors', async () => {
    await fc.assert(
      fc.asyncProperty(program, answers, async (source, replies) => {
        const compiled = compile(source);
        if (!compiled.ok)
          throw new Error(`generated program did not compile: ${JSON.stringify(compiled.errors)}\n${source}`);
        const { host } = recordingHost();
        const limits = {
          maxSteps: 20_000,
          maxWallTimeMs: 2_000,
          maxStringLength: 10_000,
          maxListSize: 1_000,
        };
        let result: RunResult = await run(compiled.program, { host, limits });
        for (const reply of replies) {
          if (result.status !== 'suspended') break;
          const state = JSON.parse(JSON.stringify(result.state));
          result = await resume(compiled.program, state, reply, { host, limits });
        }
        expect(['done', 'suspended', 'error']).toContain(result.status);
        if (result.status === 'error') {
          expect(SCRIPT_ERRORS).toContain(result.error.code);
          expect(result.error.line).toBeGreaterThan(0);
        }
        if (result.status === 'done')
          expect(() => JSON.stringify(result.status === 'done' && result.variables)).not.toThrow();
      }),
      // CI replays one fixed seed so that a landing is reproducible; elsewhere each run explores anew.
      { numRuns: 400, ...(process.env.CI ? { seed: 20261122 } : {}) },
    );
  }, 60_000);
});
