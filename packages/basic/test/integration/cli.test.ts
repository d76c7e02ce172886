// Spawns the real bin (and once the root `pnpm basic` script) with piped stdin.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = resolve(import.meta.dirname, '../..');
const repoRoot = resolve(packageDir, '../..');
const bin = join(packageDir, 'bin/conduit-basic.mjs');
const examples = join(repoRoot, 'examples/basic');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnCli(command: string, args: string[], stdin: string, cwd = packageDir): Promise<Outcome> {
  return new Promise((done, fail) => {
    const env = { ...process.env };
    delete env.npm_lifecycle_event;
    const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const cli = (args: string[], stdin = '', cwd?: string) =>
  spawnCli(process.execPath, [bin, ...args], stdin, cwd);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conduit-basic-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function script(name: string, source: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, source);
  return file;
}

describe('conduit-basic run', () => {
  it('prints TALK, reads HEAR from stdin, re-asks on bad input and keeps memories', async () => {
    const file = await script(
      'dialog.bas',
      'TALK "Your age?"\nHEAR age AS INTEGER\nSET BOT MEMORY "age", age\nTALK "Next year: " & (GET BOT MEMORY "age") + 1\nPRINT "logged"',
    );
    const r = await cli(['run', file], 'old\n41\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Your age?\nPlease answer with a whole number, for example 3.\nNext year: 42\n');
    expect(r.stderr).toBe('[print] logged\n');
  });

  it('says clearly that service keywords are unavailable outside the cluster, with a non-zero exit', async () => {
    for (const [keyword, source] of [
      ['LLM', 'x = LLM "hi"'],
      ['FIND', 'x = FIND "refund"'],
      ['USE KB', 'USE KB "docs"'],
      ['USE TOOL', 'USE TOOL "t"'],
      ['SEND MAIL', 'SEND MAIL "a@b.co", "s", "b"'],
      ['GET', 'x = GET "https://example.com"'],
      ['POST', 'POST "https://example.com", {}'],
    ]) {
      const file = await script('service.bas', `TALK "before"\n${source}`);
      const r = await cli(['run', file]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('before\n');
      expect(r.stderr).toContain(`service.bas:2:`);
      expect(r.stderr).toContain(`${keyword} is unavailable outside the Conduit cluster`);
      expect(r.stderr).toContain('[HOST_UNAVAILABLE]');
    }
  }, 60_000);

  it('reports a runtime error with line:column and code', async () => {
    const file = await script('boom.bas', 'x = 1\ny = x / 0');
    const r = await cli(['run', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${file}:2:1: Division by zero [DIVISION_BY_ZERO]\n`);
  });

  it('fails when input ends while a HEAR is waiting', async () => {
    const file = await script('wait.bas', 'HEAR name');
    const r = await cli(['run', file], '');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Input ended while the script was waiting for an answer (HEAR name)');
  });

  it('takes PARAMs from --param and --input, and prints the RETURN value', async () => {
    const file = await script('tool.bas', 'PARAM a AS NUMBER\nPARAM b AS NUMBER\nRETURN a * b');
    const r = await cli(['run', file, '--param', 'a=6', '--input', '{"b": 7}']);
    expect(r).toMatchObject({ code: 0, stdout: 'Result: 42\n' });
  });

  it('honours WAIT unless --no-wait', async () => {
    const file = await script('pause.bas', 'TALK 1\nWAIT 0.2\nTALK 2');
    const started = Date.now();
    const r = await cli(['run', file]);
    expect(r).toMatchObject({ code: 0, stdout: '1\n2\n' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('exits 2 for a missing file or bad usage', async () => {
    expect((await cli(['run', join(dir, 'nope.bas')])).code).toBe(2);
    expect((await cli(['frobnicate', 'x.bas'])).code).toBe(2);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('conduit-basic run <file.bas>');
    // Three CLI processes: each takes seconds to start on a loaded machine.
  }, 30_000);
});

describe('conduit-basic check', () => {
  it('prints compile errors as file:line:column and exits 1', async () => {
    const file = await script('broken.bas', 'x = 1\nIF x > 1\nTALK LENN(x)\nEND IF');
    const r = await cli(['check', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `${file}:2:9: Expected THEN after the IF condition, found the end of the line\n` +
        `${file}:3:6: Unknown function LENN; did you mean LEN?\n` +
        `${file}:4:1: END IF without a matching IF\n3 errors in ${file}\n`,
    );
  });

  it('prints the tool schema and the schedule of a valid script', async () => {
    const file = await script(
      'meta.bas',
      'SET SCHEDULE "daily at 18:30"\nDESCRIPTION "Greets"\nPARAM who AS STRING LIKE "Ana"\nTALK who',
    );
    const r = await cli(['check', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${file}: OK`);
    expect(r.stdout).toContain('description: Greets');
    expect(r.stdout).toContain('"examples": [\n        "Ana"\n      ]');
    expect(r.stdout).toContain('schedule: 30 18 * * * (daily at 18:30)');
  });
});

describe('the examples run in the CLI', () => {
  it('lead-capture.bas', async () => {
    const r = await cli(
      ['run', join(examples, 'lead-capture.bas')],
      'Ana\nnope\nana@acme.com\nACME\n150\ndemo\n31/12/2025\n3pm\n',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Please type a valid email address');
    expect(r.stdout).toContain('Booked: 31/12/2025 at 15:00.');
    expect(r.stdout).toContain('Thanks, Ana! Someone from our team will contact you at ana@acme.com.');
    expect(r.stderr).toContain('lead captured: ana@acme.com score 80');
  });

  it('book-table-tool.bas asks for missing PARAMs', async () => {
    const r = await cli(
      ['run', join(examples, 'book-table-tool.bas'), '--param', 'guests=4'],
      'Bo\n2025-12-31\n19:30\nterrace\n',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('customer (Name the booking is under, e.g. Ana Silva)?');
    expect(r.stdout).toContain(
      'Table for 4 on 31/12/2025 at 19:30 (terrace), under Bo. Reference T20251231-001.',
    );
    expect(r.stdout).toContain('Result: {"ok":true,"reference":"T20251231-001"}');
  });

  it('weekly-sales-report.bas', async () => {
    const r = await cli(['run', join(examples, 'weekly-sales-report.bas')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Total: 64 orders, $7,563.50');
    expect(r.stdout).toContain('Best day: Fri ($2,890.75)');
    const check = await cli(['check', join(examples, 'weekly-sales-report.bas')]);
    expect(check.stdout).toContain('schedule: 0 9 * * 1 (every monday at 9am)');
  });

  it('pizza-order.bas', async () => {
    const r = await cli(
      ['run', join(examples, 'pizza-order.bas')],
      'pepperoni\n2\nyes\n1\nlarge\nno\n01310-100\n+55 11 91234-5678\n',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Total: $25.50');
    expect(r.stdout).toContain('We will call +5511912345678 on arrival.');
  });

  it('runs through `pnpm basic` with a path relative to the caller', async () => {
    const r = await spawnCli('pnpm', ['-s', 'basic', 'run', 'weekly-sales-report.bas'], '', examples);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Weekly sales report');
  }, 30_000);
});
