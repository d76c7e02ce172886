// conduit-basic run | check: the CLI as a function of its arguments and streams, so tests and the
// bin share it. Exit codes: 0 ok, 1 script error (compile or runtime), 2 usage or file problem.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { type CompileError, compile } from './compiler/compile.js';
import { createConsoleHost } from './console-host.js';
import { type RunResult, resume, run } from './interpreter.js';
import type { Program } from './program.js';
import { toText } from './values.js';

export interface CliIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable;
  /** Base directory for relative script paths. */
  cwd: string;
}

const USAGE = `Usage:
  conduit-basic run <file.bas> [--input '{"name":"value"}'] [--param name=value ...] [--no-wait]
  conduit-basic check <file.bas>

run    runs the script with a console host: TALK prints, HEAR reads a line from standard input,
       memories live in memory; KB, FIND, LLM, tools, SEND MAIL, GET and POST are unavailable.
       Missing PARAMs are asked for on standard input.
check  compiles the script and prints its errors as file:line:column, or its tool schema and schedule.
`;

function printErrors(io: CliIo, file: string, errors: CompileError[]): void {
  for (const e of errors) io.stderr.write(`${file}:${e.line}:${e.column}: ${e.message}\n`);
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseCliArgs>;
  try {
    parsed = parseCliArgs(argv);
  } catch (e) {
    io.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { command, file, values } = parsed;
  if (values.help || !command) {
    io.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  if ((command !== 'run' && command !== 'check') || !file) {
    io.stderr.write(USAGE);
    return 2;
  }
  let source: string;
  try {
    source = await readFile(resolve(io.cwd, file), 'utf8');
  } catch (e) {
    io.stderr.write(`Cannot read ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  const compiled = compile(source);
  if (!compiled.ok) {
    printErrors(io, file, compiled.errors);
    io.stderr.write(`${compiled.errors.length} error${compiled.errors.length === 1 ? '' : 's'} in ${file}\n`);
    return 1;
  }
  if (command === 'check') {
    const { program } = compiled;
    io.stdout.write(`${file}: OK\n`);
    if (program.description) io.stdout.write(`description: ${program.description}\n`);
    if (program.params.length > 0)
      io.stdout.write(`parameters: ${JSON.stringify(program.parameters, null, 2)}\n`);
    if (program.schedule)
      io.stdout.write(`schedule: ${program.schedule.cron} (${program.schedule.source})\n`);
    for (const trigger of program.tableTriggers)
      io.stdout.write(`on: ${trigger.events.join(', ')} of table ${trigger.table}\n`);
    if (program.webhook) io.stdout.write(`webhook: ${program.webhook}\n`);
    return 0;
  }
  let input: Record<string, unknown> = {};
  try {
    if (values.input) input = JSON.parse(values.input);
    for (const pair of values.param ?? []) {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`--param needs name=value, got "${pair}"`);
      input[pair.slice(0, at)] = pair.slice(at + 1);
    }
  } catch (e) {
    io.stderr.write(`Bad input: ${(e as Error).message}\n`);
    return 2;
  }
  return runScript(compiled.program, file, input, io, !values['no-wait']);
}

function parseCliArgs(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      input: { type: 'string' },
      param: { type: 'string', multiple: true },
      'no-wait': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  return { command: positionals[0], file: positionals[1], values };
}

async function runScript(
  program: Program,
  file: string,
  input: Record<string, unknown>,
  io: CliIo,
  honourWaits: boolean,
): Promise<number> {
  const lines = createInterface({ input: io.stdin, terminal: false })[Symbol.asyncIterator]();
  const readLine = async (prompt: string): Promise<string | null> => {
    if (io.stdin.isTTY) io.stdout.write(prompt);
    const next = await lines.next();
    return next.done ? null : next.value;
  };
  const host = createConsoleHost({
    say: (text) => io.stdout.write(`${text}\n`),
    log: (text) => io.stderr.write(`[print] ${text}\n`),
  });

  // A tool run by hand: ask for the PARAMs the command line did not give.
  const given = new Set(Object.keys(input).map((k) => k.toUpperCase()));
  for (const p of program.params) {
    if (given.has(p.name.toUpperCase()) || p.optional) continue;
    const schema = program.parameters.properties[p.name];
    const hint = [schema?.description, schema?.examples ? `e.g. ${toText(schema.examples[0] ?? null)}` : null]
      .filter(Boolean)
      .join(', ');
    io.stdout.write(`${p.name}${hint ? ` (${hint})` : ''}?\n`);
    const line = await readLine('> ');
    if (line === null) {
      io.stderr.write(`Input ended before the parameter "${p.name}" was given\n`);
      return 1;
    }
    input[p.name] = line;
  }

  let result: RunResult = await run(program, { host, input });
  for (;;) {
    if (result.status === 'done') {
      if (result.value !== null) io.stdout.write(`Result: ${toText(result.value)}\n`);
      return 0;
    }
    if (result.status === 'error') {
      const { line, column, message, code } = result.error;
      io.stderr.write(`${file}:${line}:${column}: ${message} [${code}]\n`);
      return 1;
    }
    // The state goes through JSON exactly as it would between two processes of the cluster.
    const state = JSON.parse(JSON.stringify(result.state));
    if (result.reason === 'wait') {
      const ms = result.seconds * 1000;
      if (honourWaits) await new Promise((done) => setTimeout(done, ms));
      result = await resume(program, state, undefined, { host });
      continue;
    }
    const options = result.prompt.options ? ` [${result.prompt.options.join(' / ')}]` : '';
    const answer = await readLine(`${result.prompt.variable}${options}> `);
    if (answer === null) {
      io.stderr.write(
        `Input ended while the script was waiting for an answer (HEAR ${result.prompt.variable})\n`,
      );
      return 1;
    }
    result = await resume(program, state, answer, { host });
  }
}
