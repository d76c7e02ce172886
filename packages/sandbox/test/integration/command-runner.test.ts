import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CommandLanguage,
  commandRunnerAvailability,
  probeCommandRunner,
  readSandboxSettings,
  runCommand,
  SandboxError,
} from '../../src/index.js';

const off = readSandboxSettings({});
const enabled = readSandboxSettings({ SANDBOX_RUNNER: 'bubblewrap', SANDBOX_MAX_OUTPUT_BYTES: '100000' });
const limits = { memoryMb: 128, timeoutMs: 10_000, settings: enabled };

async function failure(
  language: CommandLanguage,
  code: string,
  options: Partial<Parameters<typeof runCommand>[2]> = {},
) {
  const error = await runCommand(language, code, { ...limits, ...options }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SandboxError);
  return error as SandboxError;
}

/** Processes still alive under the per-run user ids (a root host) once a run has ended. */
function leftoverSandboxProcesses(): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let status = '';
    try {
      status = readFileSync(`/proc/${entry}/status`, 'utf8');
    } catch {
      continue;
    }
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    if (uid >= enabled.SANDBOX_UID_BASE && uid < enabled.SANDBOX_UID_BASE + 1000) count++;
  }
  return count;
}

describe('runCommand without a runner', () => {
  it('refuses Python and Bash with a message that says what the operator must enable', async () => {
    expect(commandRunnerAvailability('python', off)).toEqual({
      available: false,
      reason: 'RUN PYTHON needs a sandbox runner (SANDBOX_RUNNER=bubblewrap) on this server',
    });
    const python = await runCommand('python', 'print(1)', { ...limits, settings: off }).catch(
      (error: unknown) => error,
    );
    expect(python).toBeInstanceOf(SandboxError);
    expect(python).toMatchObject({
      code: 'unavailable',
      message: 'RUN PYTHON needs a sandbox runner (SANDBOX_RUNNER=bubblewrap) on this server',
    });
    const bash = await runCommand('bash', 'echo 1', { ...limits, settings: off }).catch(
      (error: unknown) => error,
    );
    expect(bash).toMatchObject({
      code: 'unavailable',
      message: 'RUN BASH needs a sandbox runner (SANDBOX_RUNNER=bubblewrap) on this server',
    });
  });

  it('names a missing program when the runner is enabled without it', async () => {
    const settings = readSandboxSettings({
      SANDBOX_RUNNER: 'bubblewrap',
      SANDBOX_BWRAP_PATH: '/nonexistent/bwrap',
    });
    const reason = 'RUN PYTHON is unavailable on this server: /nonexistent/bwrap not found';
    expect(commandRunnerAvailability('python', settings)).toEqual({ available: false, reason });
    await expect(runCommand('python', 'print(1)', { ...limits, settings })).rejects.toMatchObject({
      code: 'unavailable',
      message: reason,
    });
  });

  it('answers unavailable, and runs nothing, when the configured bubblewrap cannot start a sandbox', async () => {
    // /usr/bin/false stands where bwrap should be: it exits 1 as bwrap does when it cannot create
    // its namespaces.
    const settings = readSandboxSettings({
      SANDBOX_RUNNER: 'bubblewrap',
      SANDBOX_BWRAP_PATH: '/usr/bin/false',
    });
    const reason =
      'RUN BASH is unavailable on this server: an empty sandbox failed (the program exited with status 1)';
    await expect(probeCommandRunner('bash', settings)).resolves.toEqual({ available: false, reason });
    await expect(runCommand('bash', 'echo never', { ...limits, settings })).rejects.toMatchObject({
      code: 'unavailable',
      message: reason,
    });
  });
});

// Where bubblewrap cannot create its namespaces (a container without user namespaces), every run
// must say so: each case below then asserts that exact refusal instead of the sandbox's behaviour.
describe('runCommand under bubblewrap', () => {
  let runner: Awaited<ReturnType<typeof probeCommandRunner>>;
  let server: Server;
  let port = 0;
  let connections = 0;

  beforeAll(async () => {
    runner = await probeCommandRunner('python', enabled);
    server = createServer((socket) => {
      connections++;
      socket.end('hello\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /** Runs the case where the sandbox works; elsewhere asserts the exact 'unavailable' error. */
  async function sandboxed(language: CommandLanguage, code: string, check: () => Promise<void>) {
    if (runner.available) return check();
    const error = await runCommand(language, code, limits).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'unavailable', message: runner.reason });
  }

  async function expectStillWorks() {
    await expect(runCommand('python', 'print(6 * 7)', limits)).resolves.toMatchObject({ value: 42 });
    await expect(runCommand('bash', 'echo ok', limits)).resolves.toMatchObject({ value: 'ok' });
  }

  it('runs a correct Python script on its input and returns its JSON output', async () => {
    const code = 'import json, sys\nd = json.load(sys.stdin)\nprint(json.dumps({"sum": d["a"] + d["b"]}))';
    await sandboxed('python', code, async () => {
      const result = await runCommand('python', code, { ...limits, input: { a: 2, b: 3 } });
      expect(result).toEqual({ stdout: '{"sum": 5}\n', stderr: '', value: { sum: 5 } });
    });
  });

  it('round-trips the input through Python and Bash', async () => {
    const input = { name: 'Zoë', list: [1, 2, 3], nested: { ok: true, none: null } };
    await sandboxed('python', 'import sys; print(sys.stdin.read())', async () => {
      await expect(
        runCommand('python', 'import sys; print(sys.stdin.read())', { ...limits, input }),
      ).resolves.toMatchObject({
        value: input,
      });
      await expect(runCommand('bash', 'cat', { ...limits, input })).resolves.toMatchObject({ value: input });
      await expect(
        runCommand('bash', 'echo "hello $(whoami 2>/dev/null || id -u)"', limits),
      ).resolves.toMatchObject({
        value: 'hello 65534',
      });
    });
  });

  it('stops a loop that runs forever', async () => {
    await sandboxed('python', 'while True: pass', async () => {
      const python = await failure('python', 'while True: pass', { timeoutMs: 1_500 });
      expect(python.code).toBe('timeout');
      const bash = await failure('bash', 'while :; do :; done', { timeoutMs: 1_500 });
      expect(bash.code).toBe('timeout');
      // A program that waits without using CPU is ended by the wall clock.
      const sleeper = await failure('bash', 'sleep 60', { timeoutMs: 1_000 });
      expect(sleeper).toMatchObject({ code: 'timeout', message: 'the program ran longer than 1000 ms' });
      await expectStillWorks();
    });
  });

  it('stops unbounded allocation at the memory limit', async () => {
    const code = 'kept = []\nwhile True: kept.append(bytearray(10**6))';
    await sandboxed('python', code, async () => {
      const error = await failure('python', code, { memoryMb: 64 });
      expect(error).toMatchObject({ code: 'memory', message: 'the program used more than 64 MB of memory' });
      await expectStillWorks();
    });
  });

  it('cannot read /etc/passwd, see /home, /root or the host tree, or write the system', async () => {
    await sandboxed('python', 'open("/etc/passwd").read()', async () => {
      const python = await failure('python', 'print(open("/etc/passwd").read())');
      expect(python.code).toBe('script_error');
      expect(python.message).toMatch(/FileNotFoundError: .*'\/etc\/passwd'/);
      const bash = await failure('bash', 'cat /etc/passwd');
      expect(bash.code).toBe('script_error');
      expect(bash.message).toMatch(/\/etc\/passwd: No such file or directory/);
      const listing = await runCommand('bash', 'ls -A /', limits);
      const offered = [
        'bin',
        'dev',
        'lib',
        'lib32',
        'lib64',
        'libx32',
        'proc',
        'sandbox',
        'sbin',
        'tmp',
        'usr',
      ];
      for (const name of listing.stdout.trim().split('\n')) expect(offered).toContain(name);
      expect(listing.stdout).toMatch(/^usr$/m);
      const write = await failure('bash', 'echo x > /usr/planted');
      expect(write.code).toBe('script_error');
      expect(write.message).toMatch(/Read-only file system|Permission denied/);
      // The private tmpfs is writable, and gone with the run.
      await expect(
        runCommand('bash', 'echo kept > /tmp/note && cat /tmp/note && pwd', limits),
      ).resolves.toMatchObject({
        value: 'kept\n/sandbox',
      });
      await expect(runCommand('bash', 'ls -A /tmp', limits)).resolves.toMatchObject({ value: '' });
    });
  });

  it('cannot open a socket, even to a server listening on the host', async () => {
    const code = `import socket\nsocket.create_connection(("127.0.0.1", PORT), timeout=3).recv(10)`;
    await sandboxed('python', code, async () => {
      const error = await failure('python', code.replace('PORT', String(port)));
      expect(error.code).toBe('script_error');
      expect(error.message).toMatch(/ConnectionRefusedError|Network is unreachable|OSError/);
      const bash = await failure('bash', `exec 3<>/dev/tcp/127.0.0.1/${port}; cat <&3`);
      expect(bash.code).toBe('script_error');
      expect(connections).toBe(0);
      // The server itself is reachable from the host: the sandbox is what stopped the connection.
      const greeting = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk;
        });
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(greeting).toBe('hello\n');
      expect(connections).toBe(1);
      await expectStillWorks();
    });
  });

  it('holds a fork bomb to the process limit and leaves no process behind', async () => {
    const counter = [
      'import os, time',
      'started = 0',
      'try:',
      '    for _ in range(1000):',
      '        if os.fork() == 0:',
      '            time.sleep(60)',
      '            os._exit(0)',
      '        started += 1',
      'except OSError as error:',
      '    print(started, error.errno)',
    ].join('\n');
    await sandboxed('python', counter, async () => {
      const counted = await runCommand('python', counter, limits);
      const [started, errno] = String(counted.value).split(' ').map(Number);
      expect(errno).toBe(11); // EAGAIN: the process limit, not the loop's end
      expect(started).toBeGreaterThan(0);
      expect(started).toBeLessThan(enabled.SANDBOX_MAX_PROCESSES);
      // The classic bomb, with the shell kept alive so that the bomb is still at work at the deadline.
      const bomb = await failure('bash', 'bomb() { bomb | bomb & }; bomb; sleep 60', { timeoutMs: 3_000 });
      expect(bomb).toMatchObject({ code: 'timeout', message: 'the program ran longer than 3000 ms' });
      await expect.poll(leftoverSandboxProcesses, { timeout: 10_000 }).toBe(0);
      await expectStillWorks();
    });
  });

  it('gives each run its own process budget: a run holding all of its processes does not stop another from forking', async () => {
    // Forks until the limit refuses, then holds every process until the deadline.
    const hog = [
      'import os, time',
      'try:',
      '    while True:',
      '        if os.fork() == 0:',
      '            time.sleep(60)',
      '            os._exit(0)',
      'except OSError:',
      '    time.sleep(60)',
    ].join('\n');
    const forker =
      'import os\npids = [os.fork() or os._exit(0) for _ in range(3)]\nprint(len([os.waitpid(p, 0) for p in pids]))';
    await sandboxed('python', forker, async () => {
      const [held, forks] = await Promise.allSettled([
        runCommand('python', hog, { ...limits, timeoutMs: 5_000 }),
        new Promise((resolve) => setTimeout(resolve, 2_000)).then(() => runCommand('python', forker, limits)),
      ]);
      expect(held).toMatchObject({ status: 'rejected', reason: { code: 'timeout' } });
      // As root each run has a user id of its own (and recent kernels count per user namespace);
      // a server started as another user on an older kernel shares one budget between its runs.
      if (process.getuid?.() === 0) expect(forks).toMatchObject({ status: 'fulfilled', value: { value: 3 } });
      await expect.poll(leftoverSandboxProcesses, { timeout: 10_000 }).toBe(0);
    });
  });

  it('refuses output larger than the cap', async () => {
    await sandboxed('python', 'print("x" * 500000)', async () => {
      const error = await failure('python', 'print("x" * 500000)');
      expect(error).toMatchObject({
        code: 'output_too_large',
        message: 'the program wrote more than 100000 bytes',
      });
      await expectStillWorks();
    });
  });

  it('reports a failing script with the end of its standard error', async () => {
    await sandboxed('python', 'raise ValueError("bad row")', async () => {
      const error = await failure('python', 'raise ValueError("bad row")');
      expect(error.code).toBe('script_error');
      expect(error.message).toMatch(
        /^the program exited with status 1: Traceback[\s\S]*ValueError: bad row$/,
      );
    });
  });
});
