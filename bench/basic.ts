import { compile, type Program, run } from '@conduit/basic';
import { formatNumber, formatRatio, machine, markdownTable, round, writeResults } from './harness/report.js';
import { numberSetting } from './harness/settings.js';

/**
 * Scenario: statements per second of the BASIC engine against the same loop written in plain
 * JavaScript, in the same process and run. Each loop executes 1,000,000 statements of its body
 * (the FOR / NEXT bookkeeping is not counted). Median of several timed runs after warm-up.
 */

interface Loop {
  name: string;
  statements: number;
  source: string;
  /** The same work in JavaScript; returns the same figure the script returns, so neither is optimized away. */
  js: () => number;
}

const LOOPS: Loop[] = [
  {
    name: 'tight loop: `total = total + i`',
    statements: 1_000_000,
    source: 'total = 0\nFOR i = 1 TO 1000000\n  total = total + i\nNEXT i\nRETURN total',
    js: () => {
      let total = 0;
      for (let i = 1; i <= 1_000_000; i++) total = total + i;
      return total;
    },
  },
  {
    name: 'mixed body: MOD, IF, arithmetic (4 statements x 250,000)',
    statements: 1_000_000,
    source: `hits = 0
total = 0
count = 0
FOR i = 1 TO 250000
  x = i MOD 7
  IF x = 3 THEN hits = hits + 1
  total = total + x * 2
  count = count + 1
NEXT
RETURN total + hits + count`,
    js: () => {
      let hits = 0;
      let total = 0;
      let count = 0;
      for (let i = 1; i <= 250_000; i++) {
        const x = i % 7;
        if (x === 3) hits = hits + 1;
        total = total + x * 2;
        count = count + 1;
      }
      return total + hits + count;
    },
  },
];

const settings = {
  runs: numberSetting('BENCH_BASIC_RUNS', 7),
  warmups: numberSetting('BENCH_BASIC_WARMUPS', 3),
};

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

async function timeEngine(program: Program, expected: number): Promise<number> {
  const started = performance.now();
  const result = await run(program, { host: {}, limits: { maxSteps: 100_000_000, maxWallTimeMs: 60_000 } });
  const ms = performance.now() - started;
  if (result.status !== 'done' || result.value !== expected) {
    throw new Error(`the script did not compute ${expected}: ${JSON.stringify(result).slice(0, 300)}`);
  }
  return ms;
}

function timeJs(loop: Loop, expected: number): number {
  const started = performance.now();
  const value = loop.js();
  const ms = performance.now() - started;
  if (value !== expected) throw new Error(`JavaScript computed ${value}, expected ${expected}`);
  return ms;
}

const rows: string[][] = [];
const results: Record<string, unknown>[] = [];
for (const loop of LOOPS) {
  const compiled = compile(loop.source);
  if (!compiled.ok) throw new Error(`bench script does not compile: ${JSON.stringify(compiled.errors)}`);
  const expected = loop.js();
  console.error(`basic: ${loop.name}...`);
  const engineMs: number[] = [];
  const jsMs: number[] = [];
  for (let i = 0; i < settings.warmups + settings.runs; i++) {
    const e = await timeEngine(compiled.program, expected);
    const j = timeJs(loop, expected);
    if (i >= settings.warmups) {
      engineMs.push(e);
      jsMs.push(j);
    }
  }
  const engine = (loop.statements / median(engineMs)) * 1000;
  const js = (loop.statements / median(jsMs)) * 1000;
  rows.push([
    loop.name,
    formatNumber(median(engineMs)),
    formatNumber(engine),
    formatNumber(js),
    formatRatio(engine / js),
    `${formatNumber(js / engine)}x`,
  ]);
  results.push({
    loop: loop.name,
    statements: loop.statements,
    engineMedianMs: round(median(engineMs)),
    engineStatementsPerSecond: Math.round(engine),
    jsMedianMs: round(median(jsMs)),
    jsStatementsPerSecond: Math.round(js),
    engineVsJs: round(engine / js, 4),
    jsTimesFaster: round(js / engine, 1),
  });
}

const table = markdownTable(
  [
    'Loop (1,000,000 statements)',
    'Engine ms',
    'Engine statements/s',
    'JS statements/s',
    'Engine / JS',
    'JS is faster by',
  ],
  rows,
);
const file = await writeResults('basic', { settings, results });
console.log(
  `\n### BASIC engine: statements/s against plain JavaScript\n\n${table}\n\n` +
    `Median of ${settings.runs} runs after ${settings.warmups} warm-ups, ${machine().cpus} CPUs, ${process.version}. ` +
    `Results in ${file}.\n`,
);
