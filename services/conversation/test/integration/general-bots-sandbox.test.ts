import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';

// RUN JAVASCRIPT (issue #19, family 10) in bots' dialogs on real Postgres, Redis and NATS: the
// code's value reaches the script; code that loops forever, allocates without bound, looks for
// files, the network or processes is stopped with a message that says why, and the service goes
// on answering. With no sandbox runner configured, RUN PYTHON and RUN BASH do not compile.

let h: ConversationHarness;
let user: Awaited<ReturnType<ConversationHarness['tokens']['mint']>>;

beforeAll(async () => {
  h = await startConversationHarness({
    env: { SANDBOX_SCRIPT_TIMEOUT_MS: '1500', SANDBOX_SCRIPT_MEMORY_MB: '32' },
  });
  user = await h.tokens.mint({ orgId: crypto.randomUUID(), perms: ['bots.read', 'bots.write'] });
});
afterAll(async () => {
  await h?.close();
});

async function call(method: string, url: string, payload?: object) {
  const res = await h.app.inject({ method: method as 'GET', url, headers: user.headers, payload });
  return { status: res.statusCode, body: res.json() };
}

/** Starts a session of a new bot with this script; answers what the bot said. */
async function said(script: string): Promise<string[]> {
  const bot = await call('POST', '/v1/bots', { name: 'Sandbox', script });
  expect(bot.status).toBe(201);
  const session = await call('POST', `/v1/bots/${bot.body.id}/sessions`, {});
  expect(session.status).toBe(201);
  return (session.body.messages as { sender: string; content: string }[])
    .filter((m) => m.sender !== 'user')
    .map((m) => m.content);
}

describe('RUN JAVASCRIPT', () => {
  it("answers the code's value, with the script's input as `input`, or what it logged", async () => {
    expect(
      await said(`order = {"items": [{"price": 10, "qty": 2}, {"price": 2.5, "qty": 4}]}
total = RUN JAVASCRIPT "input.items.reduce((sum, i) => sum + i.price * i.qty, 0)", order
TALK "Total: " & total
parts = RUN JAVASCRIPT "'a-b-c'.split('-').map(s => s.toUpperCase())"
TALK JOIN(parts, "+")
TALK RUN JAVASCRIPT "console.log('one'); console.log('two')"
info = RUN JAVASCRIPT "(async () => ({ ok: await Promise.resolve(true), n: 2 ** 10 }))()"
TALK info.ok & " " & info.n`),
    ).toEqual(['Total: 30', 'A+B+C', 'one\ntwo', 'true 1024']);
  });

  it('stops an endless loop and unbounded allocation, saying why, and the service keeps answering', async () => {
    const started = Date.now();
    const [loop] = await said('x = RUN JAVASCRIPT "while (true) {}"\nTALK "never"');
    expect(loop).toMatch(/RUN JAVASCRIPT failed: the code was stopped at its time limit/);
    expect(Date.now() - started).toBeLessThan(15_000);
    const [memory] = await said(
      'x = RUN JAVASCRIPT "const a = []; while (true) a.push(new Array(100000).fill(Math.random()))"\nTALK "never"',
    );
    expect(memory).toMatch(/RUN JAVASCRIPT failed: the code was stopped at its memory limit/);
    const [pending] = await said('x = RUN JAVASCRIPT "new Promise(() => {})"\nTALK "never"');
    expect(pending).toMatch(/stopped at its time limit/);
    // The same process answers the next script at once.
    expect(await said('TALK RUN JAVASCRIPT "1 + 1"')).toEqual(['2']);
    expect((await h.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
  });

  it('offers no file system, network, process or host objects to the code', async () => {
    const probes =
      await said(`TALK RUN JAVASCRIPT "typeof require + ' ' + typeof process + ' ' + typeof fetch + ' ' + typeof XMLHttpRequest + ' ' + typeof WebAssembly + ' ' + typeof setTimeout"
r = RUN JAVASCRIPT "require('fs').readFileSync('/etc/passwd', 'utf8')"`);
    expect(probes[0]).toBe('undefined undefined undefined undefined undefined undefined');
    expect(probes[1]).toMatch(
      /RUN JAVASCRIPT failed: the code failed \(ReferenceError: require is not defined\)/,
    );
    expect(probes.join('\n')).not.toMatch(/root:x:0/);
    const [breakout] = await said(
      `r = RUN JAVASCRIPT "this.constructor.constructor('return process')().mainModule.require('child_process').execSync('id')"`,
    );
    expect(breakout).toMatch(
      /RUN JAVASCRIPT failed: the code failed \(ReferenceError: process is not defined\)/,
    );
  });

  it("a code error stops the script with the code's own message", async () => {
    const messages = await said(
      'TALK "before"\nx = RUN JAVASCRIPT "throw new TypeError(\'bad input\')"\nTALK "after"',
    );
    expect(messages).toHaveLength(2);
    expect(messages[0]).toBe('before');
    expect(messages[1]).toMatch(/RUN JAVASCRIPT failed: the code failed \(TypeError: bad input\)/);
  });
});

describe('RUN PYTHON and RUN BASH without a sandbox runner', () => {
  it('do not compile, and the 422 says what the operator must enable', async () => {
    const bot = await call('POST', '/v1/bots', {
      name: 'Py',
      script: 'x = RUN PYTHON "print(1)"\nRUN BASH "ls /"',
    });
    expect(bot.status).toBe(422);
    expect(bot.body.errors.map((e: { message: string }) => e.message)).toEqual([
      'RUN PYTHON is not available on this server: it needs a sandbox runner, which the operator enables with SANDBOX_RUNNER=bubblewrap',
      'RUN BASH is not available on this server: it needs a sandbox runner, which the operator enables with SANDBOX_RUNNER=bubblewrap',
    ]);
  });
});

describe('keywords that need an outside service (family 11)', () => {
  it.each([
    ['t = WEATHER "Lisbon"', 'WEATHER is refused: it needs an outside service'],
    ['BOOK "dentist", "tomorrow 10:00"', 'BOOK is refused: it needs an outside service'],
    [
      'CREATE SITE "shop", "store", "a shop for shoes"',
      'CREATE SITE is refused: it needs an outside service',
    ],
    ['BOT REFLECTION TRUE', 'BOT REFLECTION is refused: it needs an outside service'],
    ['CREATE TASK "Call Ana", "today"', 'CREATE TASK is refused: Conduit runs no task tracker'],
  ])('%s does not compile, and the 422 names the keyword', async (script, message) => {
    const bot = await call('POST', '/v1/bots', { name: 'Outside', script: `TALK "hi"\n${script}` });
    expect(bot.status).toBe(422);
    expect(bot.body.errors).toHaveLength(1);
    expect(bot.body.errors[0]).toMatchObject({ line: 2 });
    expect(bot.body.errors[0].message.startsWith(message)).toBe(true);
  });
});
